import errno
import os

import numpy as np
import pytest

from inss_geo import row_buffer
from inss_geo.row_buffer import DIRECT_ALIGN, RowBuffer

BANDS, BLOCK = 3, 5


def _write_rows(path, interleave, cube, block_width):
    """Put ``cube`` (bands, h, w) through a RowBuffer in rows of blocks, as synthesis's writer does."""
    bands, height, width = cube.shape
    line = (bands, width) if interleave == "bil" else (width, bands)
    path.write_bytes(b"\x7f" * (height * bands * width * cube.itemsize))  # every byte must be overwritten
    rows = RowBuffer(path, interleave, line, cube.dtype, lines=BLOCK + 2)
    for y in range(0, height, BLOCK):
        for x in range(0, width, block_width):
            rows.put(np.ascontiguousarray(cube[:, y : y + BLOCK, x : x + block_width]), y, x)
    rows.flush()
    rows.close()
    on_disk = np.fromfile(path, cube.dtype).reshape(height, *line)
    return on_disk.transpose(1, 0, 2) if interleave == "bil" else on_disk.transpose(2, 0, 1)


@pytest.mark.parametrize("interleave, width, direct", [
    ("bil", 2048, True),  # rows of whole 4 KiB pages: all of each row through O_DIRECT
    ("bil", 333, True),  # rows that start and end inside pages: their ends through the page cache
    ("bip", 777, True),
    ("bil", 333, False),  # no O_DIRECT on the system or file system
])
def test_rows_of_blocks_land_where_the_layout_puts_them(tmp_path, monkeypatch, interleave, width, direct):
    if not direct:
        monkeypatch.setattr(row_buffer, "_open_direct", lambda path: None)
    cube = np.random.default_rng(0).integers(-9999, 9999, (BANDS, 13, width), dtype=np.int16)  # rows of 5, 5, 3 lines
    assert np.array_equal(_write_rows(tmp_path / "x.raw", interleave, cube, block_width=100), cube)


def test_aligned_middles_go_through_o_direct_and_every_byte_is_written_once(tmp_path, monkeypatch):
    writes = []
    pwrite = os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda fd, data, offset: (writes.append((fd, offset, len(data))),
                                                                 pwrite(fd, data, offset))[1])
    opened = []
    open_direct = row_buffer._open_direct
    monkeypatch.setattr(row_buffer, "_open_direct", lambda path: opened.append(open_direct(path)) or opened[-1])
    cube = np.ones((BANDS, 13, 333), np.int16)
    _write_rows(tmp_path / "x.raw", "bil", cube, block_width=100)
    covered = sorted((offset, offset + n) for _, offset, n in writes if n)
    assert [a for a, _ in covered[1:]] == [b for _, b in covered[:-1]]  # no gap, no overlap
    assert (covered[0][0], covered[-1][1]) == (0, cube.nbytes)
    if opened[0] is not None:  # Linux: the file systems tests run on take O_DIRECT
        direct = [(offset, n) for fd, offset, n in writes if fd == opened[0]]
        line = BANDS * 333 * 2
        rows = [(y * line, min(y + BLOCK, 13) * line) for y in range(0, 13, BLOCK)]
        whole_pages = [(-(-a // DIRECT_ALIGN) * DIRECT_ALIGN, b // DIRECT_ALIGN * DIRECT_ALIGN) for a, b in rows]
        assert direct == [(a, b - a) for a, b in whole_pages if b > a]  # each row's whole pages, in one write


def test_a_file_system_that_refuses_the_alignment_gets_the_rows_through_the_page_cache(tmp_path, monkeypatch):
    direct, refused = [], []
    monkeypatch.setattr(row_buffer, "_open_direct", lambda path: direct.append(os.open(path, os.O_WRONLY)) or direct[-1])
    write_all = row_buffer._write_all

    def picky(fd, data, offset):
        if fd in direct:
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        write_all(fd, data, offset)

    monkeypatch.setattr(row_buffer, "_write_all", picky)
    cube = np.random.default_rng(1).integers(0, 9999, (BANDS, 13, 2048), dtype=np.int16)
    assert np.array_equal(_write_rows(tmp_path / "x.raw", "bil", cube, block_width=512), cube)
    assert refused == [0]  # tried once, then no more


def test_a_block_taller_than_the_buffer_is_refused(tmp_path):
    path = tmp_path / "x.raw"
    path.write_bytes(bytes(2 * 8 * 4 * 2))
    rows = RowBuffer(path, "bil", (2, 4), np.dtype("<i2"), lines=4)
    with pytest.raises(ValueError, match="8 lines"):
        rows.put(np.zeros((2, 8, 4), np.int16), 0, 0)
    rows.close()


def test_a_row_of_blocks_that_misses_columns_is_not_written(tmp_path):
    path = tmp_path / "x.raw"
    path.write_bytes(bytes(2 * 8 * 6 * 2))
    rows = RowBuffer(path, "bil", (2, 6), np.dtype("<i2"), lines=4)
    rows.put(np.ones((2, 4, 4), np.int16), 0, 0)  # columns 0-3 of 6
    with pytest.raises(ValueError, match="4 of 6 columns"):
        rows.put(np.ones((2, 4, 6), np.int16), 4, 0)
    rows.close()
    assert path.read_bytes() == bytes(2 * 8 * 6 * 2)
