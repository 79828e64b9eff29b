"""Ingest streams: its peak memory does not grow with the size of the dump.

A small version of benchmarks/bench_ingest_memory.py (which measures the
200 MB figure quoted in the README): `pipeline ingest` on a 4 MB and a 16 MB
synthetic dump, each in its own process, peak RSS from the kernel's rusage
of that very process. Holding the dump (or its pieces) in memory would add
at least the 12 MB difference — several times that as Python strings; a
streaming ingest adds next to nothing.
"""

from __future__ import annotations

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
