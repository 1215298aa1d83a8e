"""What every app of the site shares and nothing else: it imports no other app of ours.

Paging (`paging`), the public page cache (`pagecache`), the chrome fragments (`memo` and the
`{% chrome %}` tag), admin list filters (`admin`), one-line text fields (`text`), throttles and
the login lockout (`throttle`, `lockout`), the task queue helper (`queueing`), spreadsheet-safe
cells (`spreadsheet`), amounts of money as people read them (`money` and the `{{ amount|yuan }}`
filter), people's names as they write them (`names` and the `{{ user|display_name }}`
filter), log redaction (`redaction`), the error pages and the bad-input middleware
(`errors`, `middleware`, `context_processors`), and uploaded media as DEBUG serves it
(`media`). Content apps, `editorial`, `wechat`, `audience` and `stats` may import it; it
imports none of them, nor the project `alumni_cms` (tests/test_architecture.py).
"""
