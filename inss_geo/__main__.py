"""``python -m inss_geo`` (and ``torchrun -m inss_geo``) runs the command line."""

from .commands import cli

if __name__ == "__main__":
    cli()
