// A varied body of C# for the no-crash test: every statement and expression kind the control-flow graph lowers,
// mostly under locks of every primitive LockOrder knows. Not compiled into the test assembly; the test compiles
// it (and fails on any compiler error, so it stays valid C#) and runs every rule over it.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus;

public delegate void Handler(object sender, int value);

public interface IShape
{
    double Area { get; }
    static abstract IShape Unit();
    void Draw() { lock (Shared.Gate) { Console.WriteLine(Area); } }
}

public static class Shared
{
    public static readonly object Gate = new();
    public static readonly Lock Modern = new();
    public static SpinLock Spin = new(false);
    public static readonly SemaphoreSlim Sem = new(1, 1);
    public static readonly SemaphoreSlim Pool = new(4);
    public static readonly ReaderWriterLockSlim Rw = new();
    public static readonly Mutex Named = new();
    public static int Counter;
    public static event Handler? Changed;
    public static void Raise(int v) => Changed?.Invoke(null!, v);
    public static T Id<T>(T value) => value;
    public static void Twice(Action a) { a(); a(); }
    public static TResult Under<TResult>(object gate, Func<TResult> f) { lock (gate) { return f(); } }
}

public readonly record struct Point(int X, int Y)
{
    public static Point operator +(Point a, Point b) { lock (Shared.Gate) { return new(a.X + b.X, a.Y + b.Y); } }
    public static implicit operator (int, int)(Point p) => (p.X, p.Y);
}

public sealed record Square(double Side) : IShape
{
    public double Area => Side * Side;
    public static IShape Unit() => new Square(1);
}

public class Base
{
    protected readonly object _gate = new();
    public virtual int Value { get { lock (_gate) { return 1; } } set { lock (_gate) { _ = value; } } }
    public virtual void Work() { lock (_gate) { Helper(); } }
    protected virtual void Helper() { }
    public int this[int i] { get { lock (_gate) { return i; } } }
}

public sealed class Derived(int seed) : Base, IDisposable, IAsyncDisposable
{
    private readonly object _other = new();
    private readonly List<int> _items = [1, 2, 3];
    private readonly Dictionary<string, Action> _continuations = new();
    private Action? _callback = () => { lock (Shared.Gate) { } };
    private int _state = seed;
    public required string Name { get; init; }
    public event EventHandler? Done;

    static Derived() { lock (Shared.Gate) { Shared.Counter++; } }

    public override void Work()
    {
        lock (_gate)
        {
            lock (_other) { _state++; }
            base.Work();
            _callback?.Invoke();
            Done?.Invoke(this, EventArgs.Empty);
        }
    }

    protected override void Helper() { lock (_other) { } }

    public int Switches(object o, int n)
    {
        lock (_gate)
        {
            var r = o switch
            {
                int i when i > n => i,
                string { Length: > 2 } s => s.Length,
                int[] and [var first, .., var last] => first + last,
                Point { X: 0 } p => p.Y,
                null => throw new ArgumentNullException(nameof(o)),
                _ => -1,
            };
            switch (n)
            {
                case 0: goto case 1;
                case 1: r++; break;
                case > 10 and < 20: goto default;
                default: r--; break;
            }

            return r is > 0 and not 7 ? r : checked(r * 2);
        }
    }

    public int Gotos(int n)
    {
        int i = 0;
        Monitor.Enter(_gate);
    again:
        i++;
        if (i < n) goto again;
        Monitor.Exit(_gate);
        return i;
    }

    public IEnumerable<int> Iterator()
    {
        lock (_gate)
        {
            foreach (var i in _items) yield return i;
        }

        try { yield return 0; }
        finally { lock (_other) { _state = 0; } }
    }

    public async IAsyncEnumerable<int> AsyncStream([EnumeratorCancellation] CancellationToken ct = default)
    {
        await Shared.Sem.WaitAsync(ct);
        try
        {
            foreach (var i in _items) { await Task.Yield(); yield return i; }
        }
        finally { Shared.Sem.Release(); }
    }

    public async Task<int> Consume()
    {
        int sum = 0;
        await foreach (var i in AsyncStream())
        {
            lock (_gate) { sum += i; }
        }

        await using (this) { }
        await using var self = this;
        using var scope = Shared.Modern.EnterScope();
        try { await Task.Delay(1); }
        catch (Exception e) when (e is IOException or TimeoutException && sum > 0)
        {
            lock (_gate) { sum = -1; }
            await Task.Yield();
        }
        finally
        {
            await Task.Yield();
        }

        return sum;
    }

    public unsafe int Unsafe(int[] data)
    {
        lock (_gate)
        {
            fixed (int* p = data)
            {
                Span<int> buffer = stackalloc int[4];
                buffer[0] = *p;
                ref int first = ref data[0];
                first++;
                return buffer[0] + first;
            }
        }
    }

    public string Strings(int? maybe, Derived? other)
    {
        lock (_gate)
        {
            var s = $"{Name,-10}:{maybe ?? 0:D4} {other?.Name?.Length} {other?._items?.FirstOrDefault()}";
            var raw = """
                raw "text"
                """;
            ReadOnlySpan<byte> utf8 = "abc"u8;
            other ??= this;
            int[] all = [.. _items, 4, .. (other._items)];
            var (a, b) = (all[0], all[^1]);
            var range = all[1..^1];
            return s + raw + utf8.Length + a + b + range.Length + (maybe is { } m ? m : throw new InvalidOperationException());
        }
    }

    public void Lambdas()
    {
        lock (_gate)
        {
            Func<int, Func<int, int>> curry = x => y => { lock (_other) { return x + y; } };
            Action local = Local;
            Shared.Twice(() => Local());
            _items.ForEach(i => { lock (_other) { _state += curry(i)(1); } });
            var query = from i in _items where i > 1 let j = i * 2 select new { i, j };
            foreach (var (i, j) in query.Select(q => (q.i, q.j))) { _state += i + j; }
            _continuations["k"] = () => Monitor.Enter(_other);
            if (_continuations.TryGetValue("k", out var k)) k();
            Monitor.Exit(_other);
            local();

            void Local()
            {
                Func<int> inner = () => { int Deeper() { lock (_other) { return _state; } } return Deeper(); };
                _state = inner();
            }
        }
    }

    public bool TakenFlags(bool fast)
    {
        bool taken = false;
        try
        {
            if (fast) Monitor.Enter(_gate, ref taken);
            else Monitor.TryEnter(_gate, 50, ref taken);
            if (!taken) return false;
            _state++;
        }
        finally
        {
            if (taken) Monitor.Exit(_gate);
        }

        var got = Monitor.TryEnter(_other);
        if (got)
        {
            try { _state--; }
            finally { Monitor.Exit(_other); }
        }

        bool spinTaken = false;
        Shared.Spin.Enter(ref spinTaken);
        try { Interlocked.Increment(ref Shared.Counter); }
        finally { if (spinTaken) Shared.Spin.Exit(false); }

        if (Shared.Modern.TryEnter())
        {
            try { return true; }
            finally { Shared.Modern.Exit(); }
        }

        return got;
    }

    public void ReaderWriter()
    {
        Shared.Rw.EnterUpgradeableReadLock();
        try
        {
            if (_state > 0)
            {
                Shared.Rw.EnterWriteLock();
                try { _state = 0; }
                finally { Shared.Rw.ExitWriteLock(); }
            }
        }
        finally { Shared.Rw.ExitUpgradeableReadLock(); }

        if (Shared.Rw.TryEnterReadLock(10))
        {
            try { _ = _state; }
            finally { Shared.Rw.ExitReadLock(); }
        }

        Shared.Named.WaitOne();
        try { Shared.Pool.Wait(); Shared.Pool.Release(); }
        finally { Shared.Named.ReleaseMutex(); }
        while (Shared.Pool.Wait(0)) { }
    }

    public int Loops(int[][] grid)
    {
        int total = 0;
    outer:
        for (int i = 0, j = 10; i < j; i++, j--)
        {
            lock (_gate)
            {
                foreach (var row in grid)
                {
                    int k = 0;
                    while (true)
                    {
                        if (k >= row.Length) break;
                        if (row[k] < 0) continue;
                        if (row[k] == 42) goto outer;
                        do { total += row[k++]; } while (k < row.Length && row[k] % 2 == 0);
                        if (total > 1000) return total;
                    }
                }
            }
        }

        return total;
    }

    public static int Nested(Derived a, Derived b)
    {
        var (first, second) = a._state < b._state ? (a, b) : (b, a);
        lock (first._gate)
        {
            lock (second._gate)
            {
                try
                {
                    try { return first._state + second._state; }
                    finally { Monitor.Enter(Shared.Gate); Monitor.Exit(Shared.Gate); }
                }
                catch (InvalidOperationException) { throw; }
                catch { return 0; }
            }
        }
    }

    public void Dispose() { lock (_gate) { _items.Clear(); } }
    public ValueTask DisposeAsync() { Dispose(); return default; }
}

public static class Extensions
{
    public static T Locked<T>(this T self, Func<T, T> f) where T : class { lock (self) { return f(self); } }
    public static void WithDefault(int n, bool deep = false) { lock (Shared.Gate) { if (deep) WithDefault(n - 1); } }
    public static void End() => WithDefault(1, true);
    public static void Tokens(CancellationToken ct, TaskCompletionSource<int> tcs)
    {
        lock (Shared.Gate)
        {
            using var registration = ct.Register(() => { lock (Shared.Gate) { } });
            tcs.TrySetResult(1);
        }
    }
}

file sealed class Hidden
{
    private static readonly object s_lock = new();
    public static int Get() { lock (s_lock) { return Volatile.Read(ref Shared.Counter); } }
}
