"""Partitions kept resident in the Python tasks for the whole fit.

One Spark job per pass costs a fixed scheduling overhead plus moving every cached block from
the JVM to a Python worker, several times the kernel's time. Here one barrier stage (gang
scheduled: every task runs at once) starts one task per partition; each task reads its
blocks into NumPy once, connects back to the driver over TCP, and answers the driver's map
requests (a task function of ``_tasks`` and its arguments) with the same one-row result a
job would give. The driver's loop is unchanged: ``ResidentBlocks.map`` has ``Blocks.map``'s
contract (one result per partition, by partition id), so results are bit-identical.

Requests are pickled (the driver is trusted, as when Spark ships a closure); replies are
Arrow IPC, which the driver parses without executing anything. A task proves itself with a
random per-fit secret before the driver reads its replies.
"""

from __future__ import annotations

import hmac
import pickle
import secrets
import socket
import struct
import threading
from collections.abc import Iterator
from functools import partial
from types import SimpleNamespace
from typing import Any

import pyarrow as pa

from quickmeans.spark import _tasks
from quickmeans.spark._data import Blocks

CONNECT_TIMEOUT = 60.0  # seconds for every task to start and connect before falling back
_LENGTH = struct.Struct(">Q")
_HELLO = struct.Struct(">32si")  # the secret, then the task's partition id


class ResidentUnavailable(RuntimeError):
    """The tasks could not be started or reached, or one was lost mid-fit."""


def slots(df: Any) -> int | None:
    """How many tasks the cluster can run at once, or None when a barrier stage is not an
    option (Spark Connect has no JVM handle here; dynamic allocation forbids barrier mode)."""
    try:
        sc = df.sparkSession.sparkContext
        if sc.getConf().get("spark.dynamicAllocation.enabled", "false").lower() == "true":
            return None
        jsc = sc._jsc.sc()  # noqa: SLF001 - no public API gives the concurrent task count
        profile = jsc.resourceProfileManager().defaultResourceProfile()
        count = int(jsc.maxNumConcurrentTasks(profile))
        return count if count >= 1 else None
    except Exception:  # noqa: BLE001 - any failure here only means: use one job per pass
        return None


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_LENGTH.pack(len(payload)) + payload)


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("connection closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(sock: socket.socket) -> bytes:
    (size,) = _LENGTH.unpack(_receive_exactly(sock, _LENGTH.size))
    return _receive_exactly(sock, size)


def owned(task: int, n_tasks: int, n_partitions: int) -> list[int]:
    """The cached partitions a resident task holds: consecutive runs of about equal length."""
    return [p for p in range(n_partitions) if p * n_tasks // n_partitions == task]


def serve_arrow(address: tuple[str, int], secret: bytes, d: int, dtype: str,
                n_partitions: int, batches: Iterator[pa.RecordBatch]) -> Iterator[Any]:
    """The mapInArrow function of a barrier stage with a task per cached partition (bound
    with functools.partial, so Spark pickles it by reference)."""
    yield from _serve(address, secret, d, dtype, n_partitions, n_partitions,
                      _tasks.arrow_records(batches))


def serve_rows(address: tuple[str, int], secret: bytes, d: int, dtype: str,
               n_partitions: int, n_tasks: int, rows: Iterator[tuple]) -> Iterator[Any]:
    """The barrier RDD function when partitions were regrouped onto fewer tasks."""
    yield from _serve(address, secret, d, dtype, n_partitions, n_tasks, rows)


def _serve(address: tuple[str, int], secret: bytes, d: int, dtype: str, n_partitions: int,
           n_tasks: int, records: Iterator[tuple]) -> Iterator[Any]:
    """Hold this task's partitions (blocks by partition id) and answer requests until the
    driver sends the empty stop message, or goes away."""
    from pyspark import BarrierTaskContext

    task_id = BarrierTaskContext.get().partitionId()
    records = list(records)
    held = {pid: _tasks.blocks_of((r for r in records if r[0] == pid), d, dtype)
            for pid in owned(task_id, n_tasks, n_partitions)}
    del records
    with socket.create_connection(address, timeout=CONNECT_TIMEOUT) as sock:
        sock.settimeout(None)  # the driver may think for a while between requests
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(_HELLO.pack(secret, task_id))
        while True:
            try:
                request = _receive(sock)
            except ConnectionError:
                break  # the driver stopped (Ctrl-C, an error): nothing left to do
            if not request:
                break
            task, names, args = pickle.loads(request)
            results = [(pid, task(iter(blocks), pid, *args)) for pid, blocks in held.items()]
            _send(sock, _tasks.result_ipc(results, names))
    yield from ()


class ResidentBlocks(Blocks):
    """``Blocks`` whose map requests go to the resident tasks (use as a context manager)."""

    def __init__(self, data: Blocks, n_tasks: int) -> None:
        super().__init__(**{name: getattr(data, name) for name in data.__dataclass_fields__})
        self.n_tasks = min(n_tasks, self.n_partitions)
        self._secret = secrets.token_bytes(32)
        self._server: socket.socket | None = None
        self._tasks: dict[int, socket.socket] = {}
        self._job: threading.Thread | None = None
        self._job_error: BaseException | None = None
        self._group = f"quickmeans-resident-{secrets.token_hex(8)}"

    def __enter__(self) -> ResidentBlocks:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _start(self) -> None:
        sc = self.df.sparkSession.sparkContext
        conf = sc.getConf()
        host = conf.get("spark.driver.host") or socket.gethostname()
        bind = conf.get("spark.driver.bindAddress") or host
        self._server = socket.create_server((bind, 0))
        self._server.settimeout(1.0)  # wake up to notice a failed barrier job
        address = (host, self._server.getsockname()[1])
        iterated = self.df.select(*_tasks.ITER_COLUMNS)
        if self.n_tasks == self.n_partitions:  # a task per cached partition, reading Arrow
            job = iterated.mapInArrow(partial(serve_arrow, address, self._secret, self.d,
                                              self.dtype, self.n_partitions), "pid int",
                                      barrier=True).collect
        else:
            # Barrier stages refuse a coalesce, so the blocks (a few large rows) are moved by
            # a shuffle with an exact partitioner: task t gets the partitions owned(t) lists.
            tasks, parts = self.n_tasks, self.n_partitions
            keyed = iterated.rdd.map(lambda row: (row[0] * tasks // parts, tuple(row)))
            regrouped = keyed.partitionBy(tasks, lambda key: key).values()
            job = regrouped.barrier().mapPartitions(partial(
                serve_rows, address, self._secret, self.d, self.dtype, parts, tasks)).collect

        def run() -> None:
            try:
                sc.setJobGroup(self._group, "quickmeans.spark: resident partitions",
                               interruptOnCancel=True)
                job()
            except BaseException as error:  # noqa: BLE001 - reported by _start or map
                self._job_error = error

        from pyspark import InheritableThread

        self._job = InheritableThread(target=run, daemon=True)
        self._job.start()
        waited = 0.0
        while len(self._tasks) < self.n_tasks:
            if self._job_error is not None or not self._job.is_alive():
                raise ResidentUnavailable("the resident tasks' job ended before they connected")
            if waited >= CONNECT_TIMEOUT:
                raise ResidentUnavailable(f"the tasks did not connect in {CONNECT_TIMEOUT:.0f} s")
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                waited += 1.0
                continue
            self._admit(conn)

    def _admit(self, conn: socket.socket) -> None:
        conn.settimeout(CONNECT_TIMEOUT)
        try:
            secret, task_id = _HELLO.unpack(_receive_exactly(conn, _HELLO.size))
        except (OSError, ConnectionError, struct.error):
            conn.close()
            return
        if not hmac.compare_digest(secret, self._secret) or task_id in self._tasks \
                or not 0 <= task_id < self.n_tasks:
            conn.close()  # not one of this fit's tasks
            return
        conn.settimeout(None)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._tasks[task_id] = conn

    def map(self, task: Any, names: tuple[str, ...], *args: Any) -> list:
        request = pickle.dumps((task, names, args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            for conn in self._tasks.values():
                _send(conn, request)
            rows = [row for task_id in sorted(self._tasks)
                    for row in _tasks.result_rows(_receive(self._tasks[task_id]))]
        except (OSError, ConnectionError) as error:
            raise ResidentUnavailable(f"a resident task was lost ({error})") from error
        return [SimpleNamespace(**row) for row in sorted(rows, key=lambda r: r["pid"])]

    def close(self) -> None:
        """Stop the tasks (the empty message), end the job, close every socket."""
        for conn in self._tasks.values():
            try:
                _send(conn, b"")
            except OSError:
                pass
        if self._job is not None:
            # Tasks that all connected end at the stop message; otherwise the barrier stage
            # may still be waiting for slots: cancel it at once.
            self._job.join(timeout=30.0 if len(self._tasks) == self.n_tasks else 0.0)
            if self._job.is_alive():
                self.df.sparkSession.sparkContext.cancelJobGroup(self._group)
                self._job.join(timeout=30.0)
        for conn in self._tasks.values():
            conn.close()
        self._tasks.clear()
        if self._server is not None:
            self._server.close()
            self._server = None
