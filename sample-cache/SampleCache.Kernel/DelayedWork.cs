using System;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>
/// Work queued after a delay measured on a <see cref="JiffiesClock"/> (<c>struct delayed_work</c>).
/// </summary>
public sealed class DelayedWork
{
    private readonly object _gate = new();
    private readonly JiffiesClock _clock;
    private WorkQueue? _target;
    private bool _armed;
    private int _cancelling;

    public DelayedWork(JiffiesClock clock, Action fn, string name = "delayed_work")
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        Work = new WorkItem(fn, name);
    }

    /// <summary>The underlying work item (its pending flag covers the timer too).</summary>
    public WorkItem Work { get; }

    public bool IsPending => Work.IsPending;

    /// <summary>
    /// <c>queue_delayed_work</c>: arms a timer that queues the work on <paramref name="wq"/> once
    /// the clock has advanced by <paramref name="delayJiffies"/>. Never sleeps. Returns false if
    /// already pending (or while a <see cref="CancelSync"/> is in progress).
    /// </summary>
    public bool Queue(WorkQueue wq, long delayJiffies)
    {
        ArgumentNullException.ThrowIfNull(wq);
        lock (_gate)
        {
            if (Volatile.Read(ref _cancelling) != 0 || !Work.TrySetPending())
            {
                return false;
            }

            _target = wq;
            if (delayJiffies > 0)
            {
                _armed = true;
                _clock.AddTimer(this, _clock.Now + delayJiffies);
            }
            else
            {
                wq.EnqueuePending(Work);
            }
        }

        return true;
    }

    internal void Fire()
    {
        lock (_gate)
        {
            if (!_armed)
            {
                return;
            }

            _armed = false;
            _target!.EnqueuePending(Work);
        }
    }

    /// <summary>
    /// <c>cancel_delayed_work_sync</c>: disarms the timer, removes the work from its queue and
    /// waits for a running instance to finish; while it runs, the work cannot re-queue itself.
    /// Sleeps.
    /// </summary>
    public void CancelSync()
    {
        Kernel.MightSleep();
        Interlocked.Increment(ref _cancelling);
        try
        {
            lock (_gate)
            {
                if (_armed)
                {
                    _armed = false;
                    _clock.RemoveTimer(this);
                    Work.ClearPending();
                }
            }

            var queue = Volatile.Read(ref Work.Queue);
            queue?.CancelAndWait(Work);
        }
        finally
        {
            Interlocked.Decrement(ref _cancelling);
        }
    }

    public override string ToString() => Work.Name;
}
