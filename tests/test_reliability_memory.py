"""Ingest streams: its peak memory does not grow with the size of the dump, nor with the size of one piece.

A small version of benchmarks/bench_ingest_memory.py (which measures the
200 MB figure quoted in the README): `pipeline ingest` on a 4 MB and a 16 MB
synthetic dump, each in its own process, peak RSS from the kernel's rusage
of that very process. Holding the dump (or its pieces) in memory would add
at least the 12 MB difference — several times that as Python strings; a
streaming ingest adds next to nothing.
"""

from __future__ import annotations

import pytest
from reliability_support import bench_module, counts


def test_ingest_peak_memory_stays_flat_as_the_dump_grows(tmp_path):
    bench = bench_module()
    peaks = {}
    for mb in (4, 16):
        folder = tmp_path / f"{mb}mb"
        folder.mkdir()
        dump = folder / "dump.txt"
        size = bench.write_dump(dump, mb * 1024 * 1024)
        db = folder / "store.sqlite"
        result = bench.measure("ingest", bench.pipeline_argv("ingest", str(dump), "--db", str(db), "--quiet"))
        assert result.exit_code == 0, result.output
        assert counts(db).pieces > 200 * mb  # really ingested, every copy new
        peaks[mb] = result.peak_rss_mb
        print(f"{size / 1048576:.1f} MB dump: peak RSS {result.peak_rss_mb} MB, {result.seconds} s")
    growth = peaks[16] - peaks[4]
    assert growth < 0.5 * 12, f"peak RSS grew by {growth:.1f} MB for 12 MB more input: {peaks}"
    assert peaks[16] < 300


@pytest.mark.parametrize("shape", ["repeated", "single"])
def test_a_dump_of_one_endless_piece_stays_flat_too(tmp_path, shape):
    """One line repeated in a .gz, one article with no piece boundary: memory is bounded by max_piece_chars, not the dump.

    Before, the open piece grew with the dump (a 450 MB repeated line peaked at 4.08 GB); now it is cut at
    ingest.max_piece_chars (1,000,000 characters), so 4× the input adds next to nothing.
    """
    bench = bench_module()
    writer = {"repeated": bench.write_repeated_gz, "single": bench.write_single_article}[shape]
    peaks = {}
    for mb in (6, 24):
        folder = tmp_path / f"{mb}mb"
        folder.mkdir()
        dump = folder / ("dump.txt.gz" if shape == "repeated" else "dump.txt")
        writer(dump, mb * 1024 * 1024)
        db = folder / "store.sqlite"
        result = bench.measure("ingest", bench.pipeline_argv("ingest", str(dump), "--db", str(db), "--quiet", "--no-detect"))
        assert result.exit_code == 0, result.output
        assert counts(db).pieces >= 1
        peaks[mb] = result.peak_rss_mb
        print(f"{shape} {mb} MB: peak RSS {result.peak_rss_mb} MB, {result.seconds} s")
    growth = peaks[24] - peaks[6]
    assert growth < 10, f"peak RSS grew by {growth:.1f} MB for 18 MB more of one piece: {peaks}"


def test_an_html_page_over_the_cap_is_refused_while_streaming(tmp_path):
    """A 12 MB page (over ingest.max_html_mb, 8) is refused by the first pass, before it is parsed or held."""
    bench = bench_module()
    page = tmp_path / "page.html"
    bench.write_html_page(page, 12 * 1024 * 1024)
    result = bench.measure("ingest", bench.pipeline_argv("ingest", str(page), "--db", str(tmp_path / "s.sqlite")))
    assert result.exit_code == 3
    assert f"error: {page}: HTML page is 12.0 MB, over max_html_mb 8" in result.output
    assert result.peak_rss_mb < 150 and result.seconds < 30, result
