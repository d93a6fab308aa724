from tui.backend.workspace.langsmith import LangSmithBackend


def test_finish_merges_metadata(fake_langsmith):
    ds = fake_langsmith.seed_dataset("d", [({"q": 1}, {"a": 1})])
    b = LangSmithBackend(fake_langsmith.api_key, fake_langsmith.url)
    exp = b.create_experiment("exp-1", ds["id"], metadata={"target": "demo"})
    b.finish_experiment(exp.id, "cancelled")
    again = b.get_experiment(exp.id)
    assert again.status == "cancelled"
    assert again.metadata.get("target") == "demo"
