"""resnext_edu.cluster: MultiWorkerMirroredStrategy for real, two worker processes on 127.0.0.1, one killed mid-run.

Chapter *Scaling out*'s run (its 4x8d network, 512 digits, 64 a step, 2 epochs) on a cluster of two processes: worker 0
(the chief, which writes the backup) kills itself with SIGKILL in the middle of epoch 2. Worker 1 must then fail by
itself with ``training.WorkerLost`` — not hang: the all-reduces time out — and the backup must hold epoch 1. Both
workers restarted resume after epoch 1 and end with the same weights (every one: BatchNorm's statistics are
synchronised), and with the final loss of a one-process run within ``distribute.LOSS_TOLERANCE``. Every process is
bounded by ``run_workers``' time limit, which kills it if it outlives it: the tests check that none needed that.
"""

import concurrent.futures
import os
import signal

import numpy as np
import pytest

from resnext_edu import cluster, distribute

LIMIT = 400  # seconds: a cluster that has not ended by then is killed (and the tests fail)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    folder = str(root / "backup")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # the one-process run beside the cluster's waits
        single = pool.submit(cluster.run_workers, 1, root / "single", time_limit=LIMIT)
        killed = cluster.run_workers(2, root / "killed", backup_dir=folder, kill=[0, 2, 3], time_limit=LIMIT)
        left = sorted(os.listdir(folder))
        restarted = cluster.run_workers(2, root / "restarted", backup_dir=folder, time_limit=LIMIT)
        single = single.result()
    return killed, left, restarted, single[0], os.path.exists(folder)


@pytest.mark.tensorflow_only("tf.distribute; its workers run TensorFlow whatever the caller's backend")
def test_a_killed_worker_makes_the_other_fail_by_itself_with_a_clear_error(runs):
    killed, left, _, _, _ = runs
    chief, other = killed
    assert chief.returncode == -signal.SIGKILL, chief.log[-3000:]
    assert "killing this worker (SIGKILL) after step 3 of epoch 2" in chief.log
    assert other.returncode == 1, other.log[-3000:]  # it failed by itself (the time limit kills with SIGKILL)
    assert "WorkerLost: a worker of the cluster stopped responding in epoch 2" in other.log, other.log[-3000:]
    assert "restart every worker with the same backup_dir to resume after epoch 1" in other.log
    assert other.seconds < LIMIT and chief.result is None and other.result is None
    assert left == ["epoch-000001"]  # the epoch completed before the kill, and nothing of the one cut short


@pytest.mark.tensorflow_only("tf.distribute; its workers run TensorFlow whatever the caller's backend")
def test_restarted_workers_resume_from_the_backup_and_end_with_identical_weights(runs):
    _, _, restarted, _, backup_left = runs
    for worker in restarted:
        assert worker.returncode == 0, worker.log[-3000:]
        assert worker.result["resumed_from"] == 1 and worker.result["epochs"] == [1, 2]  # no completed epoch lost
        assert len(worker.result["history"]["loss"]) == 2
    first, second = restarted
    assert len(first.weights) == len(second.weights) > 0
    assert all(np.array_equal(a, b) for a, b in zip(first.weights, second.weights))
    assert first.result["history"] == second.result["history"]
    assert not backup_left  # the chief deleted the backup once the run was complete


@pytest.mark.tensorflow_only("tf.distribute; its workers run TensorFlow whatever the caller's backend")
def test_the_cluster_ends_where_one_process_ends_within_the_measured_tolerance(runs):
    _, _, restarted, single, _ = runs
    assert single.returncode == 0, single.log[-3000:]
    one, two = single.result["history"]["loss"], restarted[0].result["history"]["loss"]
    assert two[-1] < two[0] and one[-1] < one[0]  # both learned
    assert abs(two[-1] - one[-1]) / one[-1] < distribute.LOSS_TOLERANCE, (one, two)
    assert len(single.weights) == len(restarted[0].weights)


def test_local_workers_and_the_settings_are_checked(tmp_path):
    workers = cluster.local_workers(3)
    assert len(set(workers)) == 3 and all(w.startswith("127.0.0.1:") for w in workers)
    with pytest.raises(ValueError, match="unknown settings"):
        cluster.run_workers(2, tmp_path, epoch=3)
    with pytest.raises(ValueError, match="n must be"):
        cluster.local_workers(0)
