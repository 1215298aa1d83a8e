"""emulator_kit.background: the threads an emulator starts, waited for by settle()."""

import json
import threading

from emulator_kit import Background, write_json_atomically


def test_settle_returns_once_a_running_thread_has_finished():
    release, done = threading.Event(), []
    background = Background()
    background.run(lambda: (release.wait(5), done.append(True)))
    threading.Timer(0.2, release.set).start()

    assert background.settle(timeout=5) is True
    assert done == [True]


def test_settle_says_so_when_a_thread_outlasts_the_timeout():
    release = threading.Event()
    background = Background()
    background.run(release.wait, 5)

    assert background.settle(timeout=0.1) is False
    release.set()
    assert background.settle(timeout=5) is True


def test_settle_waits_for_a_pending_timer():
    fired = []
    background = Background()
    background.start(threading.Timer(0.2, fired.append, args=(1,)))

    assert background.settle(timeout=5) is True
    assert fired == [1]


def test_the_state_file_is_replaced_whole(tmp_path):
    path = tmp_path / "state" / "emulator.json"
    write_json_atomically(path, {"orders": {"G1": "校友"}})
    write_json_atomically(path, {"orders": {}})

    assert json.loads(path.read_text(encoding="utf-8")) == {"orders": {}}
    assert not path.with_suffix(".tmp").exists()
