def clean(text):
    return str(text or "").strip().casefold()
