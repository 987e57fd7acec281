"""``python -m simulator``: the same command line as the ``simulator`` console script."""

from simulator.cli import run

if __name__ == "__main__":
    run()
