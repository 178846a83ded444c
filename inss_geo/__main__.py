"""``python -m inss_geo`` (and ``torchrun -m inss_geo``) runs the command line."""

from .commands import main

if __name__ == "__main__":
    main()
