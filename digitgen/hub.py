"""Where a generator's weights come from: a Hub repo id, a local folder, or the shipped default.

``DIGITGEN_MODEL`` (repo id or folder) picks the model. A Hub model that cannot be fetched
(offline, unknown repo, no network) falls back to the weights shipped inside the package, with
a warning the app shows; a local folder that is broken is an error naming the file, because
silently serving other weights than the ones asked for would be a wrong answer.
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from pathlib import Path

from huggingface_hub import hf_hub_download
from safetensors.torch import save_model
from torch import nn

from .models import WEIGHTS_NAME, Generator, load_safetensors

ENV_VAR = "DIGITGEN_MODEL"
SHIPPED = Path(__file__).parent / "weights" / "generator"


def looks_local(source: str | Path) -> bool:
    """A folder (existing, or written like a path) rather than a Hub repo id ``owner/name``."""
    s = str(source)
    return Path(s).exists() or s.startswith((".", "/", "~")) or "\\" in s or s.count("/") > 1


def load_folder(folder: str | Path, map_location: str = "cpu") -> Generator:
    """A generator from a ``save_pretrained`` folder; any defect is a ValueError naming the file."""
    folder = Path(folder).expanduser()
    config_file = folder / "config.json"
    if not folder.is_dir():
        raise ValueError(f"model folder not found: {folder}")
    if not config_file.is_file():
        raise ValueError(f"config file not found: {config_file}")
    try:
        generator = Generator.from_config(json.loads(config_file.read_text()))
    except (json.JSONDecodeError, TypeError, ValueError) as e:
        raise ValueError(f"config file {config_file} is invalid: {e}") from e
    load_safetensors(generator, folder / WEIGHTS_NAME)
    return generator.to(map_location).eval()


def load_generator(source: str | Path | None = None, map_location: str = "cpu") -> Generator:
    """The generator named by ``source``, else ``$DIGITGEN_MODEL``, else the shipped weights.

    The result is in eval mode and carries ``source`` (where it came from) and ``warning``
    (why it is not what was asked for, or None).
    """
    asked = source or os.environ.get(ENV_VAR) or SHIPPED
    warning = None
    if looks_local(asked):
        generator = load_folder(asked, map_location)
    else:
        try:
            generator = Generator.from_pretrained(str(asked), map_location=map_location, strict=True)
        except Exception as e:  # offline, unknown repo, bad id, broken download: all fall back
            reason = type(e).__name__
            warning = f"Could not load {asked} from the Hugging Face Hub ({reason}); using the shipped weights."
            warnings.warn(warning, stacklevel=2)
            generator = load_folder(SHIPPED, map_location)
            asked = SHIPPED
    generator.source = str(asked)
    generator.warning = warning
    return generator


def weights_label(generator: Generator) -> str:
    """What a loaded generator's weights are, for people: never a path on the server's disk."""
    source = getattr(generator, "source", str(SHIPPED))
    if Path(source) == SHIPPED:
        return "the weights shipped with digitgen"
    if looks_local(source):
        return f"local weights “{Path(source).name}”"
    return f"{source} from the Hugging Face Hub"


@functools.cache
def default_generator() -> Generator:
    """The process-wide generator that :func:`digitgen.generate` uses when given none."""
    return load_generator()


class Companion(nn.Module):
    """What rides with a generator's weights in a folder of its own (``encoder/``, ``shape/``): safetensors,
    and a ``config.json`` whose ``generator`` is the fingerprint (hex) of the weights it was made for."""

    generator: str
    config: dict[str, object]  # each companion's own property: what its config.json holds

    def save(self, folder: str | Path) -> None:
        """``model.safetensors`` and ``config.json`` in ``folder`` (inside the generator's folder)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_model(self, str(folder / WEIGHTS_NAME))
        (folder / "config.json").write_text(json.dumps(self.config, indent=2) + "\n")


def companion_files(source: str | Path, folder: str) -> tuple[Path, Path]:
    """The config and weights of a generator's companion (its ``encoder/``, its ``shape/``) for the
    generator's ``source``: a folder, or a Hub repo id (downloaded)."""
    if looks_local(source):
        place = Path(source).expanduser() / folder
        return place / "config.json", place / WEIGHTS_NAME
    config, weights = (hf_hub_download(str(source), f"{folder}/{name}") for name in ("config.json", WEIGHTS_NAME))
    return Path(config), Path(weights)


def load_companion(
    source: str, folder: str, kind: type[Companion], weights_fingerprint: str, without: str
) -> Companion | None:
    """A generator's companion, a ``kind(**config)`` read from ``source``'s ``folder``, in eval mode.

    None, and a warning ending in ``without`` (what works differently without it), where the companion
    cannot be read or was made for other weights (its config's ``generator`` fingerprint); silently None
    where the weights have none (made before it existed).
    """
    try:
        config_file, weights_file = companion_files(source, folder)
        if not config_file.is_file():
            return None
        companion = kind(**json.loads(config_file.read_text()))
        load_safetensors(companion, weights_file)
    except Exception as e:  # unreachable Hub, a broken file: the app still works without it
        warnings.warn(f"no {folder} for {source} ({type(e).__name__}: {e}); {without}", stacklevel=3)
        return None
    if companion.generator != weights_fingerprint:
        warnings.warn(f"the {folder} in {source} was made for other weights; {without}", stacklevel=3)
        return None
    return companion.eval().requires_grad_(False)
