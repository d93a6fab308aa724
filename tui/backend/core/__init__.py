"""What every layer shares: the data model (`models`), the error types (`errors`), runner events (`events`) and the settings (`config`). Imports nothing else of evaltui."""
