using System;
using System.Collections.Generic;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>
/// A monotonic tick counter (<c>jiffies</c>). Tests drive it with <see cref="Advance"/>; optionally
/// it ticks on its own in real time. Timers (armed by <see cref="DelayedWork"/>) fire from
/// whichever thread advances the clock past their expiry.
/// </summary>
public sealed class JiffiesClock : IDisposable
{
    /// <summary>Ticks per second.</summary>
    public const long HZ = 1000;

    /// <summary>The first value of a new clock; never zero, so zero can mean "no time".</summary>
    public const long InitialJiffies = 1_000_000;

    private readonly object _gate = new();
    private readonly List<(long Due, DelayedWork Work)> _timers = new();
    private readonly Timer? _realTime;
    private long _now = InitialJiffies;

    public JiffiesClock(bool realTime = false)
    {
        if (realTime)
        {
            _realTime = new Timer(_ => Advance(10), null, 10, 10);
        }
    }

    public long Now => Interlocked.Read(ref _now);

    /// <summary><c>time_after(a, b)</c>: true when a is later than b.</summary>
    public static bool TimeAfter(long a, long b) => a - b > 0;

    /// <summary>Moves time forward and fires the timers that expired.</summary>
    public void Advance(long ticks)
    {
        if (ticks < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ticks), "jiffies never go backwards");
        }

        long now = Interlocked.Add(ref _now, ticks);
        List<DelayedWork>? due = null;
        lock (_gate)
        {
            for (int i = _timers.Count - 1; i >= 0; i--)
            {
                if (_timers[i].Due - now <= 0)
                {
                    (due ??= new List<DelayedWork>()).Add(_timers[i].Work);
                    _timers.RemoveAt(i);
                }
            }
        }

        if (due is not null)
        {
            foreach (var w in due)
            {
                w.Fire();
            }
        }
    }

    /// <summary>Number of armed timers.</summary>
    public int ArmedTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count;
            }
        }
    }

    internal void AddTimer(DelayedWork work, long due)
    {
        bool fireNow;
        lock (_gate)
        {
            fireNow = due - Now <= 0;
            if (!fireNow)
            {
                _timers.Add((due, work));
            }
        }

        if (fireNow)
        {
            work.Fire();
        }
    }

    internal bool RemoveTimer(DelayedWork work)
    {
        lock (_gate)
        {
            int i = _timers.FindIndex(t => ReferenceEquals(t.Work, work));
            if (i < 0)
            {
                return false;
            }

            _timers.RemoveAt(i);
            return true;
        }
    }

    public void Dispose() => _realTime?.Dispose();
}
