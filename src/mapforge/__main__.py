from mapforge.cli import app

app(prog_name="mapforge")
