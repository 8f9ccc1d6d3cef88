"""digitgen: MNIST-style handwritten digits from a conditional GAN.

>>> from digitgen import load_generator, generate
>>> images = generate(7, seed=42)  # uint8 (5, 28, 28), 0 = black background
"""

from .hub import load_generator
from .models import Discriminator, Generator
from .sample import generate

__all__ = ["Discriminator", "Generator", "generate", "load_generator"]
__version__ = "0.1.0"
