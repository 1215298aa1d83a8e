"""The emulated API by subject, each a mixin of EmulatorState (state.py holds the data).

tokens.py (access tokens), oauth.py (web authorization), media.py (images and drafts),
publish.py (free publish), mass.py (mass send and preview), followers.py (followers and tags),
datacube.py (article statistics); common.py has the error answer and the numbered openids.
"""
