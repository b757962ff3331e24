"""The unit tier's guard (tests/unit/conftest.py) refuses every way out of the process and the
real model, and says where such a test belongs."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import subprocess
import sys
import threading
from typing import Any

import llama_cpp
import pytest

from tests.unit.conftest import kept_in_process

BELONGS = r"tests/unit is in-process only .* belongs in tests/integration"


def test_a_subprocess_fails_the_test_and_says_where_it_belongs() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"subprocess\.Popen: .*python -c pass\).*" + BELONGS):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


async def test_an_asyncio_subprocess_fails_the_test() -> None:
    with pytest.raises(pytest.fail.Exception, match=BELONGS):
        await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")


def test_fork_exec_and_multiprocessing_fail_the_test() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"os\.fork"):
        os.fork()
    with pytest.raises(pytest.fail.Exception, match=r"os\.execv"):
        os.execv(sys.executable, [sys.executable, "-c", "pass"])  # noqa: S606 - refused, never run
    with pytest.raises(pytest.fail.Exception, match=r"os\.system"):
        os.system("true")  # noqa: S605 - refused, never run
    with pytest.raises(pytest.fail.Exception, match=BELONGS):
        multiprocessing.get_context("fork").Process(target=print).start()
    with pytest.raises(pytest.fail.Exception, match=r"multiprocessing"):
        multiprocessing.get_context("spawn").Process(target=print).start()


def test_constructing_the_real_model_fails_the_test(tmp_path: Any) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"llama_cpp\.Llama.*" + BELONGS):
        llama_cpp.Llama(model_path=str(tmp_path / "absent.gguf"))


def test_a_subprocess_in_another_thread_fails_the_test_on_the_way_out() -> None:
    def start() -> None:
        with contextlib.suppress(BaseException):  # the failure ends only this thread; the guard remembers it
            subprocess.run([sys.executable, "-c", "pass"], check=False)

    def guarded() -> None:
        with kept_in_process():
            thread = threading.Thread(target=start)
            thread.start()
            thread.join()

    with pytest.raises(pytest.fail.Exception, match=BELONGS):
        guarded()


def test_the_machine_probe_may_ask_the_platforms_tools_and_only_it() -> None:
    from chi_llm.adapters import system_probe

    assert system_probe._run([sys.executable, "-c", "print('asked')"]) == "asked\n"  # how nvidia-smi is read
    with pytest.raises(pytest.fail.Exception, match=BELONGS):
        subprocess.run([sys.executable, "-c", "print('asked')"], check=False)


def test_in_process_work_passes_the_guard(tmp_path: Any) -> None:
    with kept_in_process():
        (tmp_path / "f").write_text("in-process", encoding="utf-8")
        assert (tmp_path / "f").read_text(encoding="utf-8") == "in-process"


def test_a_unit_session_reports_where_offenders_belong(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import subprocess, sys, pytest
        from tests.unit.conftest import (
            pytest_runtest_call, pytest_runtest_protocol, pytest_runtest_setup, pytest_runtest_teardown,
            refuse_default_model_path,
        )

        @pytest.fixture(scope="module")
        def helper_process():
            subprocess.run([sys.executable, "-c", "pass"], check=False)
        """
    )
    pytester.makepyfile(
        """
        import subprocess, sys

        def test_in_process(tmp_path):
            assert tmp_path.is_dir()

        def test_starts_a_subprocess():
            subprocess.run([sys.executable, "-c", "pass"], check=False)

        def test_a_module_fixture_starts_one(helper_process):
            pass

        def test_asks_for_the_real_model(default_model_path):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=1, failed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*starting a subprocess (subprocess.Popen: *python -c pass): tests/unit is in-process only"
            "*belongs in tests/integration*",
            "*asking for the real model (default_model_path)*belongs in tests/integration*",
        ]
    )


def test_a_fixture_faking_the_model_reaches_the_test_and_is_undone(pytester: pytest.Pytester) -> None:
    """One watch spans setup, call and teardown: a fixture's fake Llama is what the test sees, and
    afterwards the guard's own stand-in is gone again (not left behind by the fixture's undo)."""
    before = llama_cpp.Llama
    pytester.makeconftest(
        """
        from tests.unit.conftest import (
            pytest_runtest_call, pytest_runtest_protocol, pytest_runtest_setup, pytest_runtest_teardown,
        )
        """
    )
    pytester.makepyfile(
        """
        import llama_cpp, pytest

        class Fake:
            pass

        @pytest.fixture
        def fake_llama(monkeypatch):
            monkeypatch.setattr(llama_cpp, "Llama", Fake)

        def test_sees_the_fake(fake_llama):
            assert llama_cpp.Llama is Fake

        def test_then_the_guard_again():
            assert llama_cpp.Llama is not Fake
            with pytest.raises(pytest.fail.Exception):
                llama_cpp.Llama(model_path="absent.gguf")

        def test_last():
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=3)
    assert llama_cpp.Llama is before
