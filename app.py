from press import create_app

app = create_app()
