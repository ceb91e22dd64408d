using System;
using System.Collections.Generic;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>
/// A unit of deferred work (<c>struct work_struct</c>). Its pending flag is set while it sits in a
/// queue (or, for a <see cref="DelayedWork"/>, while its timer is armed) and cleared just before it
/// runs, so a running item can be queued again.
/// </summary>
public sealed class WorkItem
{
    private readonly Action _fn;
    private int _pending;
    internal WorkQueue? Queue;
    internal long Seq;
    internal int Running; // guarded by Queue's monitor

    public WorkItem(Action fn, string name = "work")
    {
        _fn = fn ?? throw new ArgumentNullException(nameof(fn));
        Name = name;
    }

    public string Name { get; }

    /// <summary><c>work_pending</c>.</summary>
    public bool IsPending => Volatile.Read(ref _pending) != 0;

    internal bool TrySetPending() => Interlocked.CompareExchange(ref _pending, 1, 0) == 0;

    internal void ClearPending() => Volatile.Write(ref _pending, 0);

    internal void Invoke() => _fn();

    /// <summary>
    /// <c>cancel_work_sync</c>: removes the item from its queue if it has not started, then waits
    /// for a running instance to finish. Sleeps. Returns true if a pending instance was cancelled.
    /// </summary>
    public bool CancelSync()
    {
        Kernel.MightSleep();
        var queue = Volatile.Read(ref Queue);
        return queue is not null && queue.CancelAndWait(this);
    }

    public override string ToString() => Name;
}

/// <summary>
/// A named work queue served by real worker threads (<c>alloc_workqueue</c>). Work never runs
/// inline in <see cref="Queue"/>. Exceptions thrown by work items are recorded as oopses.
/// </summary>
public sealed class WorkQueue : IDisposable
{
    private readonly object _gate = new();
    private readonly LinkedList<WorkItem> _queue = new();
    private readonly SortedSet<long> _inFlight = new(); // sequence numbers queued or running
    private readonly Thread[] _workers;
    private long _nextSeq;
    private bool _shutdown;

    public WorkQueue(string name, int workers = 1)
    {
        if (workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workers));
        }

        Name = name;
        _workers = new Thread[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"kworker/{name}:{i}" };
            _workers[i].Start();
        }
    }

    public string Name { get; }

    /// <summary>Items run so far.</summary>
    public long Completed { get; private set; }

    /// <summary>
    /// <c>queue_work</c>: never sleeps, never runs the item inline. Returns false when the item was
    /// already pending.
    /// </summary>
    public bool Queue(WorkItem w)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (!w.TrySetPending())
        {
            return false;
        }

        EnqueuePending(w);
        return true;
    }

    /// <summary>Queues an item whose pending flag the caller already owns (a fired delayed work).</summary>
    internal void EnqueuePending(WorkItem w)
    {
        lock (_gate)
        {
            if (_shutdown)
            {
                w.ClearPending();
                Kernel.RecordOops($"work {w} queued on {Name} after shutdown");
                return;
            }

            w.Queue = this;
            w.Seq = ++_nextSeq;
            _inFlight.Add(w.Seq);
            _queue.AddLast(w);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// <c>flush_workqueue</c>: waits until every item queued before the call has finished. Sleeps.
    /// Must not be called from one of this queue's own workers.
    /// </summary>
    public void Flush()
    {
        Kernel.MightSleep();
        FlushCore(Timeout.InfiniteTimeSpan);
    }

    /// <summary>Like <see cref="Flush"/>, but gives up after <paramref name="limit"/>; returns false then.</summary>
    public bool FlushWithin(TimeSpan limit)
    {
        Kernel.MightSleep();
        return FlushCore(limit);
    }

    private bool FlushCore(TimeSpan limit)
    {
        var deadline = limit == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + limit;
        lock (_gate)
        {
            long target = _nextSeq;
            while (_inFlight.Count > 0 && _inFlight.Min <= target)
            {
                if (deadline == DateTime.MaxValue)
                {
                    Monitor.Wait(_gate);
                    continue;
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return false;
                }

                Monitor.Wait(_gate, left);
            }
        }

        return true;
    }

    /// <summary>Number of items queued or running.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    internal bool CancelAndWait(WorkItem w)
    {
        bool cancelled = false;
        lock (_gate)
        {
            if (w.IsPending && _queue.Remove(w))
            {
                _inFlight.Remove(w.Seq);
                w.ClearPending();
                cancelled = true;
                Monitor.PulseAll(_gate);
            }

            while (w.Running > 0)
            {
                Monitor.Wait(_gate);
            }
        }

        return cancelled;
    }

    private void WorkerLoop()
    {
        while (true)
        {
            WorkItem w;
            long seq;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_shutdown)
                {
                    Monitor.Wait(_gate);
                }

                if (_queue.Count == 0)
                {
                    return;
                }

                w = _queue.First!.Value;
                _queue.RemoveFirst();
                seq = w.Seq;
                w.Running++;
                w.ClearPending();
            }

            try
            {
                w.Invoke();
            }
#pragma warning disable CA1031 // A crashing work item is recorded, like an oops, and the worker lives on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Kernel.RecordOops($"work {w.Name} on {Name} threw: {ex}");
            }

            if (Spinlock.HeldByCurrentThread != 0)
            {
                Kernel.RecordOops($"work {w.Name} on {Name} returned holding spinlocks: {string.Join(", ", Spinlock.HeldNamesForCurrentThread)}");
            }

            lock (_gate)
            {
                w.Running--;
                _inFlight.Remove(seq);
                Completed++;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Finishes the queued work, then stops the workers (<c>destroy_workqueue</c>). Work that is
    /// stuck (a deadlock under test) is abandoned after a bounded wait, with an oops, so that a
    /// failing test can still end.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_shutdown)
            {
                return;
            }
        }

        if (!FlushWithin(TimeSpan.FromSeconds(30)))
        {
            Kernel.RecordOops($"workqueue {Name} destroyed with work stuck in it");
        }

        lock (_gate)
        {
            _shutdown = true;
            _queue.Clear();
            Monitor.PulseAll(_gate);
        }

        foreach (var t in _workers)
        {
            if (t != Thread.CurrentThread)
            {
                t.Join(TimeSpan.FromSeconds(5));
            }
        }
    }

    public override string ToString() => Name;
}
