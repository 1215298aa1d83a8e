"""What every app of the site shares and nothing else: it imports no content app.

Paging, the public page cache, chrome fragments, admin list filters, one-line text fields,
throttles, the task queue helper, spreadsheet-safe exports. Content apps, `editorial`, `wechat`,
`audience` and `stats` may import it; it imports none of them.
"""
