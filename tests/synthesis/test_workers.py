"""Single-threaded torch workers (``inss_geo.synthesis.workers``)."""

import threading

import pytest
import torch

from inss_geo.synthesis.workers import Workers


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_workers_run_torch_on_one_thread_each_and_the_caller_keeps_its_count(two_threads):
    with Workers(2) as workers:
        assert workers.map(lambda _: torch.get_num_threads(), range(4)) == [1, 1, 1, 1]
        assert torch.get_num_threads() == 2
        # the products agree with the caller's, on two threads
        a, b = torch.rand(300, 200, generator=torch.Generator().manual_seed(0)), torch.rand(200, 100)
        torch.testing.assert_close(workers.map(lambda x: x @ b, [a])[0], a @ b)
    assert torch.get_num_threads() == 2


def test_workers_run_at_once(two_threads):
    meet = threading.Barrier(2, timeout=10)  # broken, and raising, if the two ran one after the other
    with Workers(2) as workers:
        assert workers.map(lambda _: meet.wait() in (0, 1), range(2)) == [True, True]


def test_a_worker_error_reaches_the_caller(two_threads):
    def fail(x):
        raise ValueError(f"bad part {x}")

    with Workers(2) as workers, pytest.raises(ValueError, match="bad part"):
        workers.map(fail, range(2))
