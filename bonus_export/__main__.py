from bonus_export.cli import app

app(prog_name="python -m bonus_export")
