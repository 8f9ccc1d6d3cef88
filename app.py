"""The Hugging Face Space's entry point: ``python app.py`` serves digitgen's app on http://127.0.0.1:7860.

``DIGITGEN_MODEL`` (a Hub repo id or a local folder) picks the weights; without it, or when the
Hub cannot be reached, the app serves the weights shipped in the package and says so. The app
itself lives in ``digitgen/app/``.
"""

from digitgen import load_generator
from digitgen.app import build, launch

if __name__ == "__main__":
    launch(build(load_generator()))
