"""/healthz on the embedded defaults: the filesystem broker is its folders."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_missing_broker_folder_answers_503_naming_the_broker(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "gone" / "queue"),
        "data_folder_out": str(tmp_path / "gone" / "queue"),
        "control_folder": str(tmp_path / "gone" / "control"),
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error"


def test_present_broker_folders_are_ok(client, settings, tmp_path):
    for name in ("queue", "control"):
        (tmp_path / name).mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "control_folder": str(tmp_path / "control"),
    }
    assert client.get("/healthz").json()["checks"]["broker"] == "ok"
