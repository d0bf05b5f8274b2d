"""collectstatic as production runs it: every module import of the inbox gets a hashed name.

The tests serve static files from the source folders, so only this test sees what the
manifest storage writes. An import left unhashed would let a browser combine a new page
with an old cached module after a deploy. Django's rewriting is easily misled: the word
"import" in a comment before a real import made it skip that import.
"""

import json
import re

from django.core.management import call_command

STATIC_IMPORT = re.compile(r'\bfrom\s+"(\./[^"]+)";')
HASHED = re.compile(r"\.[0-9a-f]{12}\.js$")


def test_every_inbox_module_import_is_rewritten_to_its_hashed_name(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "web.storage.StaticStorage"},
    }

    call_command("collectstatic", "--no-input", verbosity=0)

    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    modules = {name: hashed for name, hashed in manifest.items() if name.startswith("js/")}
    assert "js/inbox.js" in modules
    unhashed = {}
    for name, hashed in modules.items():
        imports = STATIC_IMPORT.findall((tmp_path / hashed).read_text())
        if missed := [target for target in imports if not HASHED.search(target)]:
            unhashed[name] = missed
    assert unhashed == {}
    # The entry point reaches every part of the screen through hashed names.
    entry = (tmp_path / modules["js/inbox.js"]).read_text()
    assert len(STATIC_IMPORT.findall(entry)) >= 5
