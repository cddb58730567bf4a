"""asyncio ChargePoint, compatible with mobilityhouse ``ocpp.ChargePoint``
(CPython only).

    class MyChargePoint(ChargePoint):
        @on("BootNotification")
        async def on_boot(self, charge_point_vendor, charge_point_model, **kw):
            return call_result.BootNotification(...)

    cp = MyChargePoint("CP-1", websocket, protocol=protocol)
    await cp.start()                      # until the connection closes
    response = await cp.call(call.Reset(type="Soft"))

``connection`` needs ``async recv() -> str`` and ``async send(str)``; a
``websockets`` connection fits. All protocol logic is the sans-IO session
(``ocppj.session``) and the shared facade (``ocppj.charge_point``); this
module only awaits.

Tasks and bounds: ``start`` reads messages one by one and feeds them to the
core in arrival order. The reader calls a CALL's handler itself and runs an
``async def`` handler's coroutine up to its first real wait, in a copy of
the reader's context (as a task would run it), so a handler that answers
without waiting costs no task and no loop turn, and its answer goes out
before the next message is read. A coroutine that does wait (say it
``await self.call(...)``, whose answer this reader must deliver) goes on in
a task of its own from where it stopped, and answers when it is done; so
answers leave in arrival order except behind a handler that waits. (The
one difference from a task per CALL: during that first step
``asyncio.current_task()`` is the reader's task.) The core caps how many
peer CALLs are unanswered at once (``incoming_limit``), which caps those
tasks. Our CALLs wait in the core's bounded queue (``queue_limit``;
QueueFullError beyond). One timer task, made once there is a deadline,
sleeps until ``next_deadline()``. Frames go out in the order the core
produced them: one flush at a time hands frames to ``send``, the others
wait for their turn in order (one each for the reader, the handler, @after
and timer tasks and the callers of ``call``, all bounded); a send that
fails raises in the flush that made it.

``log_frames=True`` logs every frame at INFO on ``ocppj.frames``, as
mobilityhouse's ``ocpp`` does (frame_log.py); off by default.

A connection may have ``result_sent(action, response)``: it is called with
each CALLRESULT's response object once the answer was handed to ``send``
(the central system's link learns the heartbeat interval from its
BootNotification.conf that way, without reading the frame again).
"""

import asyncio
import collections
import contextvars
import inspect
import logging
import time
import types

from ocppj import charge_point as base
from ocppj import errors

from .frame_log import FrameLog
from .identity import printable
from .logs import ConnectionLog

_LOG = logging.getLogger("ocppj")

# @after hooks still running at once; beyond, a hook is skipped and
# reported rather than piling up tasks without bound.
AFTER_TASK_LIMIT = 64

_COROUTINE = types.CoroutineType


@types.coroutine
def _resume(context, coro, yielded):
    """Go on with the coroutine ``coro`` whose first step already ran and
    yielded ``yielded``; every further step runs in ``context``. Awaited
    in a task, which then waits on what the coroutine waits on (what
    Python 3.12's eager tasks do after their first step)."""
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # CancelledError included: pass it on
            try:
                yielded = context.run(coro.throw, exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = context.run(coro.send, sent)
            except StopIteration as stop:
                return stop.value


class CallTimeoutError(errors.CallTimeoutError, asyncio.TimeoutError):
    """No answer in time; also an ``asyncio.TimeoutError`` as mobilityhouse
    callers expect."""

    def __init__(self, unique_id, action, timeout=None):
        errors.CallTimeoutError.__init__(self, unique_id, action, timeout)


class ChargePoint(base.ChargePoint):
    # Set by a CentralSystem with duplicate detection: an
    # ocppj_aio.duplicates.Replayer, asked before a CALL is handled and told
    # how it was answered.
    replayer = None

    def __init__(
        self, id, connection, response_timeout=30, protocol=None, log_frames=False, **options
    ):
        if log_frames:
            # every frame at INFO on ocppj.frames (frame_log.py)
            connection = FrameLog(connection, id)
        super().__init__(
            id,
            connection,
            response_timeout=response_timeout,
            protocol=protocol,
            **options,
        )
        # mobilityhouse lets tests make ids predictable by replacing this.
        self._unique_id_generator = None
        self._waiters = {}  # our CALL id -> Future, at most queue_limit + 1
        self._handler_tasks = set()
        self._kept_tasks = None  # handler tasks close() leaves running
        self._after_tasks = set()
        # created on first use: before Python 3.10 these bind to the loop
        # current at construction
        self._sending = False  # a flush is handing frames to the connection
        self._send_waiters = None  # flushes waiting for their turn, in order
        self._wake = None
        self._timer_task = None
        self._timer_deadline = None  # what the timer task sleeps until
        self._result_sent = getattr(connection, "result_sent", None)
        self._log = None  # ConnectionLog, made by the first report

    # ------------------------------------------------------------- hooks

    def _now(self):
        return time.monotonic()

    def _connection_log(self):
        # per connection at most a burst of lines per interval, then a
        # summary (ocppj_aio.logs): a flooding peer cannot fill the disk
        log = self._log
        if log is None:
            log = self._log = ConnectionLog(self.id, _LOG)
        return log

    def _report(self, message, problem=None):
        if problem is not None:
            message = "%s: %r" % (message, problem)
        self._connection_log().warning(message)

    def _report_failure(self, message, exc):
        """An exception raised by application code (a handler, an @after
        hook, result_sent): a bug to fix, logged as an error with the
        traceback that finds it (rate-limited like the warnings)."""
        self._connection_log().error("%s raised %r" % (message, exc), exc_info=exc)

    def _on_event(self, event):
        if event.kind in _FINISHING:
            waiter = self._waiters.pop(event.unique_id, None)
            if waiter is not None:
                if not waiter.done():
                    waiter.set_result(event)
                return
        super()._on_event(event)

    # ------------------------------------------------------------- pump

    async def start(self):
        """Read and route messages until ``connection.recv()`` raises (the
        connection closed); then the pending CALLs fail with
        CallCancelledError and the exception propagates."""
        self._rearm()
        try:
            while True:
                text = await self._connection.recv()
                await self._route(text, spawn=True)
        finally:
            self.close()

    async def route_message(self, text):
        """Route one message and wait until its handler (if any) answered."""
        await self._route(text, spawn=False)

    async def _route(self, text, spawn):
        events = self._session.receive_text(text, self._now())
        answered = None  # [(event, answer, afters, response)] answered here
        waiting = None  # [event] whose handler route_message awaits
        for event in events:
            if event.kind != "CallReceived":
                self._on_event(event)
            elif self.replayer is not None and self._replayed(event):
                continue
            elif not spawn:
                if waiting is None:
                    waiting = []
                waiting.append(event)
            else:
                afters, called = self._start_handler(event)
                if called is not None:
                    if answered is None:
                        answered = []
                    result, failure = called
                    answer = self._complete(event, result, failure)
                    answered.append((event, answer, afters, result))
        try:
            if self._sending:
                await self._flush_async()
            else:
                # _flush_async's work when no other flush holds the turn,
                # without a coroutine of its own: most frames go out here
                self._sending = True
                try:
                    for frame in self._session.data_to_send():
                        await self._connection.send(frame)
                finally:
                    self._pass_send_turn()
        except Exception as exc:
            if not answered:
                raise
            # as a handler task would: report, and let recv() end start()
            for event, _, _, _ in answered:
                self._report("answering %s %s failed" % (event.action, event.unique_id), exc)
            answered = None
        self._rearm()
        if answered:
            for event, answer, afters, response in answered:
                self._after_answer(event, answer, afters, response)
        if waiting:
            for event in waiting:
                await self._serve_async(event)

    def _start_handler(self, event):
        """Call the handler of ``event``; an ``async def`` handler's
        coroutine runs here up to its first real wait. Returns (afters,
        called): the router's @after hooks, and (result, None) or (None,
        exception) once the handler finished, None when it goes on in a
        task, which answers."""
        prepared = self._router.prepare(event)
        handler, kwargs, afters = prepared
        try:
            coro = handler(**kwargs)
        except Exception as exc:
            return afters, (None, exc)
        if type(coro) is not _COROUTINE:
            if inspect.isawaitable(coro):
                # some other awaitable (a Future, ...): a task awaits it
                self._spawn(self._serve_async(event, prepared, (coro, None)))
                return afters, None
            return afters, (coro, None)
        # each handler in its own copy of the context, as a task has it
        context = contextvars.copy_context()
        try:
            yielded = context.run(coro.send, None)
        except StopIteration as stop:
            return afters, (stop.value, None)
        except (Exception, asyncio.CancelledError) as exc:
            # CancelledError raised by the handler itself (the reader was
            # not cancelled: it is running it): answered InternalError
            return afters, (None, exc)
        self._spawn(
            self._serve_async(event, prepared, (_resume(context, coro, yielded), None)),
            self.replayer is not None and self.replayer.keeps(event),
        )
        return afters, None

    def _spawn(self, coro, outlives_close=False):
        task = asyncio.ensure_future(coro)
        self._handler_tasks.add(task)
        if outlives_close:
            # a transaction message's handler with duplicate detection on
            # runs to the end, so its answer can serve the repeat
            if self._kept_tasks is None:
                self._kept_tasks = set()
            self._kept_tasks.add(task)
            task.add_done_callback(self._kept_tasks.discard)

    async def _serve_async(self, event, prepared=None, called=None):
        try:
            await self._answer(event, prepared, called)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # the answer could not be sent (connection gone); start() ends
            # on its own when recv() fails, nothing else to do here
            self._report("answering %s %s failed" % (event.action, event.unique_id), exc)
        finally:
            if self.replayer is not None:
                self.replayer.abandon(event)  # a no-op once settled
            # cheaper than a done callback, which costs a loop turn per CALL
            self._handler_tasks.discard(asyncio.current_task())

    def _call_handler(self, prepared):
        """(result, None) or (None, exception) of calling a prepared
        handler; the result may still be awaitable."""
        handler, kwargs, _ = prepared
        try:
            return handler(**kwargs), None
        except Exception as exc:
            return None, exc

    async def _answer(self, event, prepared=None, called=None):
        """Answer ``event``; ``prepared`` is the router's (handler, kwargs,
        afters) if already looked up, ``called`` the handler's outcome if
        already called."""
        if prepared is None:
            prepared = self._router.prepare(event)
        if called is None:
            called = self._call_handler(prepared)
        result, failure = called
        if failure is None and inspect.isawaitable(result):
            try:
                result = await result
            except Exception as exc:
                result = None
                failure = exc
        answer = self._complete(event, result, failure)
        await self._flush_async()
        self._rearm()
        _, _, afters = prepared
        self._after_answer(event, answer, afters, result)

    def _replayed(self, event):
        """Answer a repeat as the first was answered; True if it was (or
        will be, once the first in flight is answered)."""
        found = self.replayer.begin(event)
        if found is None:
            return False
        if isinstance(found, asyncio.Future):
            self._spawn(self._replay_later(event, found))
        else:
            self._session.send_result(event.unique_id, found)
        return True

    async def _replay_later(self, event, first):
        response = await asyncio.shield(first)
        if response is None:  # the first was not answered with a result
            await self._serve_async(event)
            return
        try:
            self._session.send_result(event.unique_id, response)
            await self._flush_async()
        except Exception as exc:
            self._report("answering %s %s failed" % (event.action, event.unique_id), exc)
        finally:
            self._handler_tasks.discard(asyncio.current_task())

    def _complete(self, event, result, failure):
        """Hand the handler's outcome to the session (the answer lands in
        its outbox); what it answered with (Session.answer)."""
        if self.replayer is None:
            answer, problem = self._session.answer(event.unique_id, result, failure)
        elif self._session.closed:
            # a transaction message's handler that ran on after its
            # connection closed: nothing can be sent, the repeat that
            # follows the reconnect gets this response (checked first)
            self.replayer.settle(event, result if failure is None else None, False)
            _LOG.info(
                "%s: the connection closed while %s %s was handled; its answer is kept"
                " for the repeat",
                printable(self.id),
                event.action,
                event.unique_id,
            )
            return None
        else:
            answer = None
            try:
                answer, problem = self._session.answer(event.unique_id, result, failure)
            finally:
                # a repeat gets this answer
                self.replayer.settle(event, result if failure is None else None, answer == "result")
        if problem is not None:
            self._report_failure("the handler for %s %s" % (event.action, event.unique_id), problem)
        return answer

    def _after_answer(self, event, answer, afters, response):
        """Once a CALLRESULT was handed to the connection: the connection's
        result_sent, then @after hooks."""
        if answer != "result":
            return
        if self._result_sent is not None:
            try:
                self._result_sent(event.action, response)
            except Exception as exc:
                self._report_failure("result_sent for %s" % event.action, exc)
        for after, after_kwargs in afters:
            try:
                outcome = after(**after_kwargs)
            except Exception as exc:
                self._report_failure("@after for %s" % event.action, exc)
                continue
            if inspect.isawaitable(outcome):
                if len(self._after_tasks) >= AFTER_TASK_LIMIT:
                    if hasattr(outcome, "close"):
                        outcome.close()  # never awaited: no warning
                    self._report(
                        "@after for %s skipped: %d hooks still running"
                        % (event.action, len(self._after_tasks))
                    )
                    continue
                # A task, so an @after hook may await call() without
                # holding up whoever is routing.
                task = asyncio.ensure_future(self._run_after(event, outcome))
                self._after_tasks.add(task)
                task.add_done_callback(self._after_tasks.discard)

    async def _run_after(self, event, awaitable):
        try:
            await awaitable
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._report_failure("@after for %s" % event.action, exc)

    async def _flush_async(self):
        session = self._session
        if not session.has_data_to_send():
            return  # nothing to send (a CALL just arrived)
        if self._sending:
            await self._wait_send_turn()
        else:
            self._sending = True
        try:
            # drained in our turn: frames leave in the core's order
            for frame in session.data_to_send():
                await self._connection.send(frame)
        finally:
            self._pass_send_turn()

    async def _wait_send_turn(self):
        """Wait until the flushes before this one are done (in order)."""
        waiters = self._send_waiters
        if waiters is None:
            waiters = self._send_waiters = collections.deque()
        waiter = asyncio.get_running_loop().create_future()
        waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._pass_send_turn()  # handed the turn, then cancelled
            raise

    def _pass_send_turn(self):
        waiters = self._send_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the turn goes on: still sending
                return
        self._sending = False

    # ------------------------------------------------------------- timer

    def _rearm(self):
        timer = self._timer_task
        if timer is None or timer.done():
            # Created only once the session has a deadline: most central
            # system connections never send a CALL, and a sleeping task plus
            # its Event per connection is work for the garbage collector.
            # (a closed session has no deadline)
            if self._session.next_deadline() is None:
                return
            if self._wake is None:
                self._wake = asyncio.Event()
            self._timer_task = asyncio.ensure_future(self._run_timer())
            return
        # Only a moved deadline needs the timer task: waking it for every
        # CALL we answer would cost a task step per message.
        if self._session.next_deadline() != self._timer_deadline:
            self._wake.set()

    async def _run_timer(self):
        while not self._session.closed:
            self._wake.clear()
            deadline = self._session.next_deadline()
            self._timer_deadline = deadline
            if deadline is None:
                await self._wake.wait()
            else:
                delay = deadline - self._now()
                if delay > 0:
                    try:
                        await asyncio.wait_for(self._wake.wait(), delay)
                    except asyncio.TimeoutError:
                        pass
            for event in self._session.handle_timer(self._now()):
                self._on_event(event)
            try:
                await self._flush_async()
            except Exception as exc:
                # a queued CALL promoted after a timeout could not be sent;
                # its own timeout will report it to its caller
                self._report("sending after a timeout failed", exc)

    # ------------------------------------------------------------- calls

    async def call(self, payload, suppress=True, unique_id=None, skip_schema_validation=False):
        """Send a CALL and return the typed response.

        A CALLERROR answer returns None when ``suppress`` (mobilityhouse's
        default; logged as a warning), else raises its OCPPError subclass.
        An answer that breaks the schema or the frame rules raises its
        OCPPError either way. No
        answer within ``response_timeout`` (counted from this call, time
        spent queued behind another CALL included) raises CallTimeoutError,
        an ``asyncio.TimeoutError``. Misuse (wrong payload type, invalid
        payload, full queue, closed) raises a UsageError before anything is
        sent.
        """
        if unique_id is None and self._unique_id_generator is not None:
            unique_id = str(self._unique_id_generator())
        call_id = self._session.send_call(
            payload,
            self._now(),
            unique_id=unique_id,
            validate=not skip_schema_validation,
        )
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[call_id] = waiter
        try:
            self._rearm()
            await self._flush_async()
            event = await waiter
        finally:
            self._waiters.pop(call_id, None)
        if event.kind == "CallTimedOut":
            raise CallTimeoutError(event.unique_id, event.action, event.timeout)
        if suppress and event.kind == "CallErrorReceived":
            # mobilityhouse's call() warns too: a None nobody explains is
            # how a CALLERROR goes unnoticed
            self._report(
                "%s %s answered with CALLERROR %s %r; call() returns None (suppress=True)"
                % (event.action, event.unique_id, event.error.code, event.error.description)
            )
        return self.outcome(event, suppress)

    def close(self):
        """End the session: CALLs still waiting fail with
        CallCancelledError; handler and timer tasks are cancelled."""
        super().close()
        for waiter in list(self._waiters.values()):
            if not waiter.done():
                waiter.cancel()
        if self._timer_task is not None:
            self._timer_task.cancel()
        kept = self._kept_tasks or ()
        for task in list(self._handler_tasks) + list(self._after_tasks):
            if task not in kept:
                task.cancel()
        if self._log is not None:
            self._log.close()


_FINISHING = (
    "ResultReceived",
    "CallErrorReceived",
    "ResultRejected",
    "CallTimedOut",
    "CallCancelled",
)
