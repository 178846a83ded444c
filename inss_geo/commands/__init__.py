"""The ``inss-geo`` command group. Library errors become one-line messages with exit 1."""

from __future__ import annotations

import atexit
import gc
import logging
import signal

import click

from .. import __version__
from ..errors import InssGeoError


class InssGroup(click.Group):
    """A click group that turns errors into ``Error: <one line>`` and exit 1 (-vv: traceback)."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return self._invoke(ctx)
        finally:
            if _program:
                for s in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(s, signal.SIG_IGN)

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InssGeoError as exc:
            if ctx.obj and ctx.obj.get("verbose", 0) >= 2:
                raise
            raise click.ClickException(str(exc).splitlines()[0]) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug or an unforeseen input: still one line
            if ctx.obj and ctx.obj.get("verbose", 0) >= 2:
                raise
            first = (str(exc).splitlines() or [""])[0]
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {first} (rerun with -vv for the traceback and report it)"
            ) from None


@click.group(cls=InssGroup)
@click.version_option(__version__, prog_name="inss-geo")
@click.option("-v", "--verbose", count=True, help="More log output; -vv shows tracebacks.")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Synthesize hyperspectral images from RGB with INSS (implicit neural spectral mixing)."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    logging.basicConfig(level=logging.WARNING - 10 * verbose, format="%(levelname)s: %(message)s")
    if not verbose:  # GDAL's own messages repeat what the one-line error says; -v shows them
        logging.getLogger("rasterio").setLevel(logging.CRITICAL)


#: whether this process is the ``inss-geo`` program itself (:func:`cli`), not a caller of ``main``
_program = False


def cli() -> None:
    """The ``inss-geo`` program (console script, ``python -m inss_geo``): :data:`main` in a
    process of its own, which ignores SIGINT and SIGTERM once its command has ended. A late
    signal could then only interrupt the exit (click's last line, torch's and tqdm's exit-time
    clean-up) and print tracebacks after the command's last line."""
    global _program
    _program = True
    main()


# On exit the interpreter's last garbage collection walks every object torch and GDAL made, 0.3 s
# of a command's time here, and finds nothing to free: frozen objects are skipped. Registered once
# per process, however often the group is invoked in it.
atexit.register(gc.freeze)

from . import evaluate, library, quicklook, synthesize, train  # noqa: E402  (register the subcommands)

main.add_command(synthesize.synthesize)
main.add_command(train.train)
main.add_command(evaluate.evaluate)
main.add_command(library.library)
main.add_command(quicklook.quicklook)
