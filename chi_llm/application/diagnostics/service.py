"""DiagnosticsService: every check, concurrently and bounded, as one typed report."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from functools import partial

from chi_llm.application.config import ConfigService
from chi_llm.application.diagnostics.config_checks import config_checks, provider_check
from chi_llm.application.diagnostics.model_checks import current_check, downloaded_checks, listing, store_check
from chi_llm.application.diagnostics.runner import Job, run_jobs
from chi_llm.application.diagnostics.system_checks import (
    cpu_load_check,
    engine_check,
    hardware_checks,
    runtime_checks,
)
from chi_llm.application.models.library import ModelLibrary
from chi_llm.application.provider_service import ProviderService
from chi_llm.domain.diagnostics import AREAS, Check, DiagnosticReport, Status
from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.hardware import Hardware
from chi_llm.domain.ports import EngineInfo, FeatureProbe, SystemProbe
from chi_llm.domain.providers import ProviderProfile
from chi_llm.domain.settings import Settings

PROVIDER_TIMEOUT = 1.5  # seconds for a connection test: a blackholed address must not stall the report
JOB_TIMEOUT = 2.6  # the whole report stays under 3 s
CPU_SAMPLE = 0.5  # seconds of CPU use sampled to see whether other processes keep it busy


class DiagnosticsService:
    """Runs every check. `settings` is None when the configuration could not be resolved
    (`config_error` says why): the configuration check fails with that, the rest use defaults."""

    def __init__(
        self,
        *,
        version: str,
        probe: SystemProbe,
        engine: EngineInfo,
        features: FeatureProbe,
        library: ModelLibrary,
        providers: ProviderService,
        config: ConfigService,
        settings: Settings | None,
        config_error: ChiLlmError | None = None,
        provider_timeout: float = PROVIDER_TIMEOUT,
    ) -> None:
        self.version = version
        self._probe = probe
        self._engine_info = engine
        self._lock = threading.Lock()
        self._reading: Hardware | None = None
        self._features = features
        self._library = library
        self._providers = providers
        self._config = config
        self._settings = settings
        self._config_error = config_error
        self._provider_timeout = provider_timeout

    def run(self) -> DiagnosticReport:
        started = time.perf_counter()
        checks = run_jobs(self.jobs())
        order = {area: i for i, area in enumerate(AREAS)}
        checks.sort(key=lambda c: order.get(c.area, len(order)))  # stable: jobs keep their order within an area
        return DiagnosticReport(
            chi_llm_version=self.version,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
            checks=tuple(checks),
        )

    def jobs(self) -> list[Job]:
        timeout = JOB_TIMEOUT
        jobs = [
            Job(id="system.python", area="system", title="Python", run=partial(runtime_checks, self.version)),
            Job(id="system.hardware", area="system", title="Hardware", run=self._hardware_checks, timeout=timeout),
            Job(id="system.cpu_load", area="system", title="CPU load", run=self._cpu_load, timeout=timeout),
            Job(id="llama_cpp.build", area="llama_cpp", title="llama.cpp build", run=self._engine, timeout=timeout),
            Job(id="models.dir", area="models", title="Models folder", run=self._store, timeout=timeout),
            Job(id="config.files", area="config", title="Configuration", run=self._config_checks, timeout=timeout),
            Job(id="features", area="features", title="Optional features", run=self._feature_checks, timeout=timeout),
        ]
        for profile in self._settings.profiles() if self._settings is not None else ():
            jobs.append(
                Job(
                    id=f"providers.{profile.id}",
                    area="providers",
                    title=f"Provider {profile.id} ({profile.type})",
                    run=partial(self._provider, profile),
                    timeout=timeout,
                    late="fail",
                    late_fix="the server did not answer in time: is it running, and is base_url right?",
                )
            )
        return jobs

    def _hardware(self) -> Hardware:
        """Read once per report, shared by the checks that need it (GPU tools can be slow)."""
        with self._lock:
            if self._reading is None:
                self._reading = self._probe.hardware()
            return self._reading

    def _hardware_checks(self) -> list[Check]:
        return hardware_checks(self._hardware())

    def _cpu_load(self) -> list[Check]:
        threads = self._settings["threads"] if self._settings is not None else None
        return [cpu_load_check(self._probe.cpu_load(CPU_SAMPLE), threads)]

    def _engine(self) -> list[Check]:
        gpu_layers = self._settings["gpu_layers"] if self._settings is not None else None
        return [engine_check(self._engine_info.report(), self._hardware(), gpu_layers)]

    def _provider(self, profile: ProviderProfile) -> list[Check]:
        return [provider_check(self._providers, profile, self._provider_timeout)]

    def _store(self) -> list[Check]:
        listed = listing(self._library)
        return [
            store_check(self._library),
            current_check(self._library, listed),
            *downloaded_checks(self._library, listed),
        ]

    def _config_checks(self) -> list[Check]:
        return config_checks(self._config, self._settings, self._config_error)

    def _feature_checks(self) -> list[Check]:
        checks = []
        for feature in self._features.features():
            status: Status = "ok" if feature.installed else "skip"
            checks.append(
                Check(
                    id=f"features.{feature.name}",
                    area="features",
                    title={"rag": "RAG extra", "tui": "Terminal UI"}.get(feature.name, feature.name),
                    status=status,
                    value={"installed": feature.installed, **feature.found},
                    fix=None if feature.installed else f"not installed; to use it: {feature.install}",
                )
            )
        return checks
