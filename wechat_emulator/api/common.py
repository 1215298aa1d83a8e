"""What the emulated API shares: the error answer and the numbered openids.

Followers are numbered: follower i has the openid `openid_for(i)`, so 200 000 followers cost
nothing until they are tagged or unfollow.
"""

OPENID_PREFIX = "oEMU"
OPENID_DIGITS = 24  # 4 + 24 = 28 characters, the length of a real openid
MPHELPER_OPENID = "oMPHELPER" + "0" * 19


class ApiError(Exception):
    """An answer with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str, **extra):
        super().__init__(errcode, errmsg)
        self.payload = {"errcode": errcode, "errmsg": errmsg, **extra}


def openid_for(index: int) -> str:
    return f"{OPENID_PREFIX}{index:0{OPENID_DIGITS}d}"


def index_of(openid: str) -> int | None:
    if (
        isinstance(openid, str)
        and len(openid) == len(OPENID_PREFIX) + OPENID_DIGITS
        and openid.startswith(OPENID_PREFIX)
        and openid[len(OPENID_PREFIX) :].isdigit()
    ):
        return int(openid[len(OPENID_PREFIX) :])
    return None
