"""Pakistan IT-exports policy simulator: the Streamlit app (``make run``).

The pages and the entry point are in :mod:`simulator.app.entry` (``simulator app`` starts the same
app from an installed copy).
"""

from simulator.app.entry import run

run()
