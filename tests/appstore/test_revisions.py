"""The newest migration named in code is the one the migration scripts end with."""

from __future__ import annotations

from salescore.appstore.store import HEAD_REVISION, AppStore


def test_head_revision_constant_is_the_scripts_head(tmp_path: object) -> None:
    with AppStore.open(f"sqlite:///{tmp_path}/app.sqlite") as store:
        assert store.head_revision() == HEAD_REVISION
        assert store.current_revision() == HEAD_REVISION
        assert not store.needs_upgrade()
        store.downgrade("0002")
        assert store.current_revision() == "0002"
        assert store.needs_upgrade()
