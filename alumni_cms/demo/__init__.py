"""Demo users and content for a fictional university's alumni office (青澜大学).

`loader.demo_load` puts them in the database; `data` holds the content, `images` draws the
covers. `python manage.py load_demo` runs it, and `python3 dev.py run` runs that every time.
"""
