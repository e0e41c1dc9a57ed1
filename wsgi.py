from bm import create_app

app = create_app()
