"""Free publish: freepublish/submit and /get, and the PUBLISHJOBFINISH push."""

import hashlib

from .. import callbacks
from .common import MPHELPER_OPENID, ApiError


class PublishApi:
    """Publish jobs that finish after config.publish_delay (CONTRACT.md §5).

    Mixed into EmulatorState (state.py): the handlers run under its lock, on its data, and
    use its `config`, `now()` and `_next()`.
    """

    def _article_url(self, mid: str, idx: int) -> str:
        sn = hashlib.sha1(f"{self.config.app_id}:{mid}:{idx}".encode()).hexdigest()[:32]
        return (
            f"https://mp.weixin.qq.com/s?__biz=EMU{self.config.app_id}&mid={mid}&idx={idx}&sn={sn}"
        )

    def _publish_submit(self, request: dict) -> dict:
        media_id = request["json"].get("media_id")
        draft = self._draft(media_id)
        publish_id = str(2_247_500_000 + self._next("publish"))
        msg_data_id = str(2_247_600_000 + self.seq["publish"])
        final = self.faults.publish_status if self.faults.publish_status is not None else 0
        n = len(draft["articles"])
        job = {
            "publish_id": publish_id,
            "msg_data_id": msg_data_id,
            "media_id": media_id,
            "titles": [a["title"] for a in draft["articles"]],
            "created": self.now(),
            "finish_at": self.now() + self.config.publish_delay,
            "finished": False,
            "final_status": final,
            "article_id": f"EMU_ARTICLE_{publish_id}" if final == 0 else "",
            "article_urls": [self._article_url(msg_data_id, i) for i in range(1, n + 1)]
            if final == 0
            else [],
            "fail_idx": list(range(1, n + 1)) if final in (2, 4) else [],
        }
        self.publishes[publish_id] = job
        self._consume(media_id, "published")
        self._later(self.config.publish_delay, self._finish_publish, publish_id)
        return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": msg_data_id}

    def _publish_get(self, request: dict) -> dict:
        publish_id = str(request["json"].get("publish_id", ""))
        job = self.publishes.get(publish_id)
        if job is None:
            raise ApiError(47003, "argument invalid (publish_id)")
        done = job["finished"] or self.now() >= job["finish_at"]
        answer = {"publish_id": publish_id, "publish_status": job["final_status"] if done else 1}
        if done and job["final_status"] == 0:
            answer["article_id"] = job["article_id"]
            answer["article_detail"] = {
                "count": len(job["article_urls"]),
                "item": [
                    {"idx": i, "article_url": u} for i, u in enumerate(job["article_urls"], 1)
                ],
            }
        if done:
            answer["fail_idx"] = job["fail_idx"]
        return answer

    def _finish_publish(self, publish_id: str) -> None:
        with self.lock:
            job = self.publishes.get(publish_id)
            if job is None:
                return
            job["finished"] = True
            xml = callbacks.event_xml(
                to_user=self.config.account_id,
                from_user=MPHELPER_OPENID,
                create_time=int(self.now()),
                event="PUBLISHJOBFINISH",
                body=callbacks.publish_finish_body(job),
            )
            self._save()
        self._push(xml, MPHELPER_OPENID, {"event": "PUBLISHJOBFINISH", "publish_id": publish_id})
