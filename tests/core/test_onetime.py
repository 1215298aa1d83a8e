"""One-time codes (core.onetime), on the look-up codes' table as any purpose's store.

Each guard has its attack here: hashes only, expiry, single use, wrong tries counted and
burning the code, a code tied to its subject, only the newest code checked, a code that could
not be sent not kept. activities (tests/activities/test_find_by_phone.py) and audience
(tests/audience/test_binding.py) test the same guards through their pages."""

import logging
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from activities.models import LookupCode
from core import onetime
from core.onetime import CodeExpired, CodeNotSent, CodeWrong, OneTimeCodes

pytestmark = pytest.mark.django_db

CODES = OneTimeCodes(LookupCode, salt="tests.onetime", label="Test code")
PHONE = "13800138000"
OTHER = "13900139000"
TTL = timedelta(minutes=10)


class _Recorder:
    sent: list[dict] = []

    def send(self, *, channel: str, destination: str, code: str, minutes: int) -> None:
        self.sent.append(
            {"channel": channel, "destination": destination, "code": code, "minutes": minutes}
        )


class _Down:
    def send(self, *, channel: str, destination: str, code: str, minutes: int) -> None:
        raise ConnectionError(f"gateway down while sending to {destination}")


@pytest.fixture(autouse=True)
def _clear_sent():
    _Recorder.sent.clear()


def _send(subject: str = PHONE, ttl: timedelta = TTL, sender=_Recorder) -> tuple[LookupCode, str]:
    row = CODES.send(
        subject=subject,
        ttl=ttl,
        sender=sender,
        channel="phone",
        destination=subject,
        fields={"phone_hash": f"hash-of-{subject}"},
    )
    return row, _Recorder.sent[-1]["code"]


def _verify(code: str, subject: str = PHONE, *, max_attempts: int = 5, **kwargs):
    codes = LookupCode.objects.filter(phone_hash=f"hash-of-{subject}")
    return CODES.verify(codes, subject=subject, code=code, max_attempts=max_attempts, **kwargs)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# making and sending ---------------------------------------------------------------------------
def test_a_code_is_six_digits_drawn_from_secrets(monkeypatch):
    monkeypatch.setattr(onetime.secrets, "randbelow", lambda n: 42 if n == 10**6 else -1)

    assert onetime.new_code() == "000042"


def test_codes_differ_from_one_draw_to_the_next():
    assert len({onetime.new_code() for _ in range(200)}) > 190


def test_the_sender_gets_the_code_the_destination_and_the_minutes():
    row, code = _send()

    assert _Recorder.sent == [
        {"channel": "phone", "destination": PHONE, "code": code, "minutes": 10}
    ]
    assert row.expires_at - row.created_at == TTL


def test_the_row_gets_the_fields_given():
    row, _code = _send()

    assert LookupCode.objects.get(pk=row.pk).phone_hash == f"hash-of-{PHONE}"


def test_only_a_keyed_hash_of_the_code_is_stored():
    row, code = _send()

    assert code not in row.code_hash
    assert row.code_hash == CODES.code_hash(PHONE, code)
    other_purpose = OneTimeCodes(LookupCode, salt="tests.other", label="Other")
    assert row.code_hash != other_purpose.code_hash(PHONE, code)


def test_a_code_that_could_not_be_sent_is_not_kept():
    with pytest.raises(CodeNotSent) as failed:
        _send(sender=_Down)

    assert isinstance(failed.value.__cause__, ConnectionError)
    assert not LookupCode.objects.exists()


def test_a_failed_sending_logs_the_error_type_not_the_destination(caplog):
    caplog.set_level(logging.INFO, logger="core.onetime")
    with pytest.raises(CodeNotSent):
        _send(sender=_Down)

    assert "could not be sent (ConnectionError)" in caplog.text
    assert PHONE not in caplog.text


# verifying ------------------------------------------------------------------------------------
def test_the_right_code_is_spent_and_its_row_returned():
    row, code = _send()

    assert _verify(code) == row
    row.refresh_from_db()
    assert row.used_at is not None


def test_a_code_typed_with_spaces_around_it_is_right():
    row, code = _send()

    assert _verify(f" {code}\n") == row


def test_a_used_code_cannot_be_used_again():
    _row, code = _send()
    _verify(code)

    with pytest.raises(CodeExpired):
        _verify(code)


def test_an_expired_code_is_refused():
    row, code = _send()
    LookupCode.objects.filter(pk=row.pk).update(expires_at=timezone.now())

    with pytest.raises(CodeExpired):
        _verify(code)


def test_no_code_sent_is_expired():
    with pytest.raises(CodeExpired):
        _verify("123456")


def test_a_wrong_code_says_how_many_tries_are_left():
    _row, code = _send()

    with pytest.raises(CodeWrong) as wrong:
        _verify(_wrong(code), max_attempts=3)

    assert wrong.value.attempts_left == 2


def test_a_wrong_try_stays_counted_although_it_raises():
    row, code = _send()

    with pytest.raises(CodeWrong):
        _verify(_wrong(code))

    row.refresh_from_db()
    assert row.attempts == 1


def test_the_last_wrong_try_burns_the_code():
    _row, code = _send()
    with pytest.raises(CodeWrong):
        _verify(_wrong(code), max_attempts=2)

    with pytest.raises(CodeExpired):
        _verify(_wrong(code), max_attempts=2)


def test_a_burnt_code_refuses_even_the_right_code():
    row, code = _send()
    LookupCode.objects.filter(pk=row.pk).update(attempts=2)

    with pytest.raises(CodeExpired):
        _verify(code, max_attempts=2)


def test_a_code_is_no_code_for_another_subject():
    _row, code = _send(PHONE)
    everyones = LookupCode.objects.all()

    with pytest.raises(CodeWrong):
        CODES.verify(everyones, subject=OTHER, code=code, max_attempts=5)


def test_only_the_newest_code_is_checked():
    _first, old = _send()
    _second, new = _send()
    if old == new:
        pytest.skip("two draws gave the same code")

    with pytest.raises(CodeWrong):
        _verify(old)


def test_a_wrong_try_logs_neither_the_subject_nor_the_code(caplog):
    caplog.set_level(logging.INFO, logger="core.onetime")
    _row, code = _send()
    with pytest.raises(CodeWrong):
        _verify(_wrong(code))

    assert "a wrong code, 4 tries left" in caplog.text
    assert PHONE not in caplog.text and _wrong(code) not in caplog.text


def test_on_right_runs_and_its_answer_is_returned():
    _row, code = _send()

    assert _verify(code, on_right=lambda row: ("bound", row.pk)) == ("bound", _row.pk)


def test_a_failing_on_right_leaves_the_code_unspent():
    row, code = _send()

    def refuse(_row):
        raise RuntimeError("the record was bound meanwhile")

    with pytest.raises(RuntimeError):
        _verify(code, on_right=refuse)

    row.refresh_from_db()
    assert row.used_at is None
    assert _verify(code) == row


@pytest.mark.django_db(transaction=True)
def test_a_code_verified_twice_at_once_lets_one_in(postgres_only):
    """Two requests with the right code at the same moment: the row lock makes the second wait
    for the first to commit, and then the code is spent (without the lock both get in)."""
    _row, code = _send()
    first_inside = threading.Event()
    outcomes = []

    def slow_on_right(row):
        first_inside.set()
        time.sleep(0.5)  # the second request arrives while the first has not committed
        return row

    def attempt(on_right):
        try:
            _verify(code, on_right=on_right)
            outcomes.append("in")
        except CodeExpired:
            outcomes.append("expired")
        finally:
            connection.close()

    first = threading.Thread(target=attempt, args=(slow_on_right,))
    first.start()
    assert first_inside.wait(5)
    second = threading.Thread(target=attempt, args=(None,))
    second.start()
    first.join(10)
    second.join(10)

    assert sorted(outcomes) == ["expired", "in"]
