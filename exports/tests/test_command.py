"""manage.py export_messages: the API's CSV, to a file or stdout, for any size."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from exports.tests.support import read_csv, streamed

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_messages", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_writes_the_same_csv_as_the_api_to_a_file(api_client, records, tmp_path):
    path = tmp_path / "messages.csv"

    out, _ = run("--output", str(path), "--from", "2025-03-03", "--channel", "sms")

    assert re.fullmatch(rf"Exported 1 message to {path} in \d+\.\d s\.\n", out)
    api = streamed(
        api_client.get("/api/export/messages.csv", {"from": "2025-03-03", "channel": "sms"})
    )
    assert path.read_bytes() == api
    assert [row[0] for row in read_csv(path.read_bytes())[1:]] == [str(records.sms_in.id)]


def test_the_command_writes_to_stdout_by_default(api_client, records, capsys):
    out, _ = run("--to", "2025-03-31")

    assert out.encode() == streamed(
        api_client.get("/api/export/messages.csv", {"to": "2025-03-31"})
    )
    assert "Exported 5 messages in " in capsys.readouterr().err  # stdout is the CSV's


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "yesterday"], "--from must be a day as YYYY-MM-DD"),
        (["--from", "2025-03-02", "--to", "2025-03-01"], "--from (2025-03-02) is after --to"),
    ],
)
def test_bad_days_are_refused_saying_what_to_give(args, message, db):
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)


def test_an_unwritable_file_is_named(tmp_path, db):
    with pytest.raises(CommandError, match=r"Cannot write .*no/such/dir\.csv"):
        run("--output", str(tmp_path / "no" / "such" / "dir.csv"))
