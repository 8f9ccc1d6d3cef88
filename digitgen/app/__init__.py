"""digitgen's web app: a Gradio Blocks page whose every event is an API endpoint and an MCP tool.

The one part of digitgen that imports Gradio (``pip install "digitgen[app]"``); the library never
imports it. ``build(generator)`` makes the app, ``launch(demo)`` serves it::

    from digitgen import load_generator
    from digitgen.app import build, launch
    launch(build(load_generator()))
"""

from .page import build, launch

__all__ = ["build", "launch"]
