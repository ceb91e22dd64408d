using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>What a <see cref="LockViolation"/> is about.</summary>
public enum LockViolationKind
{
    /// <summary>A class acquired while a class the table orders after it is held (a dependency against <c>lockorder.json</c>).</summary>
    OutOfDeclaredOrder,

    /// <summary>A new dependency that closes a cycle in the order observed so far (lockdep's circular locking dependency).</summary>
    ObservedOrderCycle,

    /// <summary>A non-reentrant lock acquired by the thread that already holds it: a self-deadlock.</summary>
    RecursiveAcquisition,

    /// <summary>A second instance of a class acquired while another instance is held, the row not being nestable.</summary>
    NestedSameClass,
}

/// <summary>One lock a thread holds, with the place it was taken (lockdep's held-lock line).</summary>
public sealed class HeldLockInfo
{
    internal HeldLockInfo(string className, int row, bool spins, bool byTryLock, string takenAt)
    {
        ClassName = className;
        Row = row;
        Spins = spins;
        ByTryLock = byTryLock;
        TakenAt = takenAt;
    }

    /// <summary>The lock's class: its table row name.</summary>
    public string ClassName { get; }

    public int Row { get; }

    /// <summary>A <see cref="Spinlock"/> (atomic context) rather than a sleeping lock.</summary>
    public bool Spins { get; }

    public bool ByTryLock { get; }

    /// <summary>Source file, line and member of the acquisition.</summary>
    public string TakenAt { get; }

    public override string ToString() =>
        $"{ClassName} (row {Row}, {(Spins ? "spinlock" : "mutex")}){(ByTryLock ? " by trylock" : string.Empty)} taken at {TakenAt}";
}

/// <summary>
/// A dependency observed at run time: <see cref="To"/> was acquired while <see cref="From"/> was held. It
/// keeps where it was first seen (lockdep saves a stack trace with each new dependency).
/// </summary>
public sealed class LockDependency
{
    internal LockDependency(
        string from, int fromRow, string to, int toRow, int threadId, string? threadName,
        IReadOnlyList<HeldLockInfo> held, string acquiredAt, string stack)
    {
        From = from;
        FromRow = fromRow;
        To = to;
        ToRow = toRow;
        ThreadId = threadId;
        ThreadName = threadName;
        Held = held;
        AcquiredAt = acquiredAt;
        Stack = stack;
    }

    public string From { get; }

    public int FromRow { get; }

    public string To { get; }

    public int ToRow { get; }

    public int ThreadId { get; }

    public string? ThreadName { get; }

    /// <summary>The locks the thread held when the dependency was first seen.</summary>
    public IReadOnlyList<HeldLockInfo> Held { get; }

    /// <summary>Where <see cref="To"/> was acquired that first time.</summary>
    public string AcquiredAt { get; }

    /// <summary>The stack of that first acquisition, with files and lines.</summary>
    public string Stack { get; }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(From).Append(" (row ").Append(FromRow).Append(") -> ").Append(To).Append(" (row ").Append(ToRow)
            .Append("), first seen on thread ").Append(LockValidator.DescribeThread(ThreadId, ThreadName))
            .Append(" acquiring at ").Append(AcquiredAt).AppendLine(", holding:");
        LockValidator.AppendHeld(text, Held, "       ");
        text.Append(LockValidator.Indent(Stack, "       "));
        return text.ToString();
    }
}

/// <summary>
/// One report of the run-time lock validator: the acquisition now (class, place, stack), the locks the
/// thread held with where each was taken, and for an observed-order cycle the chain of dependencies, each
/// with the stack where it was first seen, that established the other direction.
/// </summary>
public sealed class LockViolation
{
    internal LockViolation(
        LockViolationKind kind, string acquiredClass, int acquiredRow, bool acquiredSpins, string acquiredAt,
        string heldClass, int heldRow, string heldAt, IReadOnlyList<HeldLockInfo> held, string stack,
        LockDependency? dependency, IReadOnlyList<LockDependency> chain, int threadId, string? threadName)
    {
        Kind = kind;
        AcquiredClass = acquiredClass;
        AcquiredRow = acquiredRow;
        AcquiredSpins = acquiredSpins;
        AcquiredAt = acquiredAt;
        HeldClass = heldClass;
        HeldRow = heldRow;
        HeldAt = heldAt;
        Held = held;
        Stack = stack;
        Dependency = dependency;
        Chain = chain;
        ThreadId = threadId;
        ThreadName = threadName;
    }

    public LockViolationKind Kind { get; }

    /// <summary>The class being acquired.</summary>
    public string AcquiredClass { get; }

    public int AcquiredRow { get; }

    public bool AcquiredSpins { get; }

    /// <summary>Where it is being acquired (file, line, member).</summary>
    public string AcquiredAt { get; }

    /// <summary>The held class the acquisition conflicts with (the same class for the two recursive kinds).</summary>
    public string HeldClass { get; }

    public int HeldRow { get; }

    /// <summary>Where that held lock was taken.</summary>
    public string HeldAt { get; }

    /// <summary>Every lock the thread held, in the order taken.</summary>
    public IReadOnlyList<HeldLockInfo> Held { get; }

    /// <summary>The stack of the acquisition now, with files and lines.</summary>
    public string Stack { get; }

    /// <summary>The new dependency <see cref="HeldClass"/> -> <see cref="AcquiredClass"/> (null for the two recursive kinds).</summary>
    public LockDependency? Dependency { get; }

    /// <summary>
    /// For a dependency that closes a cycle: the dependencies already observed that lead from
    /// <see cref="AcquiredClass"/> back to <see cref="HeldClass"/> (the other direction). Empty otherwise.
    /// </summary>
    public IReadOnlyList<LockDependency> Chain { get; }

    public int ThreadId { get; }

    public string? ThreadName { get; }

    /// <summary>The dependencies of the cycle this violation closes: the new one, then the chain back (empty without a cycle).</summary>
    public IEnumerable<LockDependency> Cycle =>
        Dependency is null || Chain.Count == 0 ? Array.Empty<LockDependency>() : Chain.Prepend(Dependency);

    public override string ToString()
    {
        var text = new StringBuilder();
        string thread = LockValidator.DescribeThread(ThreadId, ThreadName);
        string acquired = $"{AcquiredClass} (row {AcquiredRow}, {(AcquiredSpins ? "spinlock" : "mutex")}) at {AcquiredAt}";
        switch (Kind)
        {
            case LockViolationKind.OutOfDeclaredOrder:
                text.AppendLine("WARNING: lock acquired against the declared order of lockorder.json")
                    .Append("thread ").Append(thread).AppendLine(" is trying to acquire:")
                    .Append("  ").AppendLine(acquired)
                    .AppendLine("but already holds:")
                    .Append("  ").Append(HeldClass).Append(" (row ").Append(HeldRow).Append(") taken at ").AppendLine(HeldAt)
                    .Append("which the table orders after ").Append(AcquiredClass).AppendLine(".");
                break;
            case LockViolationKind.ObservedOrderCycle:
                text.AppendLine("WARNING: possible circular locking dependency detected")
                    .Append("thread ").Append(thread).AppendLine(" is trying to acquire:")
                    .Append("  ").AppendLine(acquired)
                    .AppendLine("but already holds:")
                    .Append("  ").Append(HeldClass).Append(" (row ").Append(HeldRow).Append(") taken at ").AppendLine(HeldAt);
                break;
            case LockViolationKind.RecursiveAcquisition:
                text.AppendLine("WARNING: recursive acquisition of a non-reentrant lock (self-deadlock)")
                    .Append("thread ").Append(thread).AppendLine(" is trying to acquire:")
                    .Append("  ").AppendLine(acquired)
                    .Append("but already holds this very lock, taken at ").AppendLine(HeldAt);
                break;
            default:
                text.AppendLine("WARNING: possible recursive locking detected (two instances of one lock class)")
                    .Append("thread ").Append(thread).AppendLine(" is trying to acquire:")
                    .Append("  ").AppendLine(acquired)
                    .Append("but already holds another instance of the class, taken at ").AppendLine(HeldAt)
                    .AppendLine("and the row is not marked nestable.");
                break;
        }

        if (Chain.Count > 0)
        {
            text.Append("the run has already seen ").Append(HeldClass).Append(" acquired after ").Append(AcquiredClass)
                .AppendLine(", through this chain:");
            foreach (var link in Chain)
            {
                text.Append("  -> ").Append(link);
            }
        }

        text.AppendLine("held locks (in the order taken):");
        LockValidator.AppendHeld(text, Held, "  ");
        text.AppendLine("stack of this acquisition:").Append(LockValidator.Indent(Stack, "  "));
        return text.ToString();
    }
}

/// <summary>
/// A run-time lock validator in the spirit of Linux lockdep, driven by the same <c>lockorder.json</c> the
/// LockOrder analyzer reads. Off by default (a disabled validator costs one static read per acquisition);
/// <see cref="Enable(string)"/> turns it on. It works on lock classes (<see cref="LockClass"/>), not instances,
/// and only on classes the table lists. On every blocking acquisition of such a class it checks the thread's
/// held locks: a class above a held class in the table is a violation (unless a spinlock is held and a
/// sleeping lock is taken: that is <see cref="Kernel.MightSleep"/>'s report); every new held -> acquired
/// dependency is recorded with where it was first seen, and one that closes a cycle in the observed order is a
/// violation; taking a lock the thread already holds is a self-deadlock, and a second instance of a class that
/// is not nestable is recursive locking. Violations are recorded in <see cref="Violations"/>, not thrown.
/// </summary>
public static class LockValidator
{
    // Guards the graph's adjacency and the violation list of the current state. A leaf lock: nothing is
    // acquired while it is held, and no tabled lock is ever taken under it.
    private static readonly object s_gate = new();
    private static State? s_state;
    private static State? s_last;
    private static int s_generation;

    // The locks this thread holds, for the state of generation t_generation (stale after a new Enable).
    [ThreadStatic]
    private static List<HeldLock>? t_held;

    [ThreadStatic]
    private static int t_generation;

    /// <summary>True while a table is loaded and acquisitions are checked.</summary>
    public static bool IsEnabled => Volatile.Read(ref s_state) is not null;

    /// <summary>The table the validator checks against (of the current or last session).</summary>
    public static LockOrderTable? Table => Volatile.Read(ref s_last)?.Table;

    /// <summary>Violations of the current (or last) session, in the order found. A snapshot; thread-safe.</summary>
    public static IReadOnlyList<LockViolation> Violations
    {
        get
        {
            lock (s_gate)
            {
                return s_last is null ? Array.Empty<LockViolation>() : s_last.Violations.ToArray();
            }
        }
    }

    /// <summary>Every dependency observed in the current (or last) session. A snapshot; thread-safe.</summary>
    public static IReadOnlyList<LockDependency> Dependencies
    {
        get
        {
            lock (s_gate)
            {
                return s_last is null ? Array.Empty<LockDependency>() : s_last.Edges.Values.ToArray();
            }
        }
    }

    /// <summary>Loads <paramref name="lockOrderJsonPath"/> and starts a session (an empty graph, no violations).</summary>
    public static IDisposable Enable(string lockOrderJsonPath) => Enable(LockOrderTable.Load(lockOrderJsonPath));

    /// <summary>Starts a session against <paramref name="table"/>; disposing the result ends it.</summary>
    public static IDisposable Enable(LockOrderTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        State state;
        lock (s_gate)
        {
            state = new State(table, ++s_generation);
            s_last = state;
            Volatile.Write(ref s_state, state);
        }

        return new Session(state);
    }

    /// <summary>Stops checking; the last session's violations stay readable.</summary>
    public static void Disable()
    {
        lock (s_gate)
        {
            Volatile.Write(ref s_state, null);
        }
    }

    /// <summary>The locks the validator sees the calling thread hold, in the order taken (empty when off).</summary>
    public static IReadOnlyList<HeldLockInfo> HeldByCurrentThread()
    {
        var state = Volatile.Read(ref s_state);
        if (state is null)
        {
            return Array.Empty<HeldLockInfo>();
        }

        return Snapshot(HeldList(state));
    }

    /// <summary>
    /// Called by a primitive before a blocking acquisition (lockdep checks before it waits, so that a
    /// deadlock is reported instead of hanging unseen).
    /// </summary>
    internal static void WillAcquire(object instance, LockClass? lockClass, bool spins, string member, string file, int line)
    {
        var state = Volatile.Read(ref s_state);
        if (state is null || lockClass is null || state.Table.Find(lockClass.Name) is not { } row)
        {
            return;
        }

        var held = HeldList(state);
        if (held.Count == 0)
        {
            return;
        }

        var site = new Site(member, file, line);
        for (int i = 0; i < held.Count; i++)
        {
            if (ReferenceEquals(held[i].Instance, instance))
            {
                Report(state, LockViolationKind.RecursiveAcquisition, held, i, lockClass, row, spins, site, dependency: null, chain: null);
                return;
            }
        }

        for (int i = 0; i < held.Count; i++)
        {
            var h = held[i];
            if (ReferenceEquals(h.Class, lockClass))
            {
                if (!row.Nestable && state.NestedReported.TryAdd(lockClass, true))
                {
                    Report(state, LockViolationKind.NestedSameClass, held, i, lockClass, row, spins, site, dependency: null, chain: null);
                }

                continue;
            }

            if (!state.Edges.ContainsKey(new Edge(h.Class, lockClass)))
            {
                AddDependency(state, held, i, lockClass, row, spins, site);
            }
        }
    }

    /// <summary>Called by a primitive once it holds the lock (blocking or try-lock).</summary>
    internal static void Acquired(object instance, LockClass? lockClass, bool spins, bool byTryLock, string member, string file, int line)
    {
        var state = Volatile.Read(ref s_state);
        if (state is null || lockClass is null || state.Table.Find(lockClass.Name) is not { } row)
        {
            return;
        }

        HeldList(state).Add(new HeldLock(instance, lockClass, row, spins, byTryLock, new Site(member, file, line)));
    }

    /// <summary>Called by a primitive when it releases the lock (in any order, as lockdep allows).</summary>
    internal static void Released(object instance)
    {
        var state = Volatile.Read(ref s_state);
        if (state is null || t_generation != state.Generation || t_held is not { Count: > 0 } held)
        {
            return;
        }

        for (int i = held.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(held[i].Instance, instance))
            {
                held.RemoveAt(i);
                return;
            }
        }
    }

    private static List<HeldLock> HeldList(State state)
    {
        var held = t_held;
        if (held is null || t_generation != state.Generation)
        {
            // First acquisition of this thread in this session: whatever it held before is not tracked.
            held = t_held ??= new List<HeldLock>();
            held.Clear();
            t_generation = state.Generation;
        }

        return held;
    }

    private static void AddDependency(State state, List<HeldLock> held, int heldIndex, LockClass lockClass, LockOrderRow row, bool spins, Site site)
    {
        var h = held[heldIndex];
        var edge = new Edge(h.Class, lockClass);
        string stack = CaptureStack();
        var heldNow = Snapshot(held);
        var dependency = new LockDependency(
            h.Class.Name, h.Row.Row, lockClass.Name, row.Row, Environment.CurrentManagedThreadId, Thread.CurrentThread.Name,
            heldNow, site.ToString(), stack);

        LockViolation? violation = null;
        lock (s_gate)
        {
            if (state.Edges.ContainsKey(edge))
            {
                return;
            }

            // Does the observed graph already lead from the acquired class back to the held one?
            var chain = FindPath(state, lockClass, h.Class);
            state.Edges[edge] = dependency;
            if (!state.Out.TryGetValue(h.Class, out var successors))
            {
                state.Out[h.Class] = successors = new List<LockDependency>();
            }

            successors.Add(dependency);

            // A sleeping lock taken under a spinlock is reported by might_sleep (LockOrder's LOCK002 says the
            // same), not again as an order violation; it still counts as a dependency for cycles.
            bool sleepingUnderSpin = h.Spins && !spins;
            if (row.Row < h.Row.Row && !sleepingUnderSpin)
            {
                violation = NewViolation(LockViolationKind.OutOfDeclaredOrder, held, heldNow, heldIndex, lockClass, row, spins, site, stack, dependency, chain);
            }
            else if (chain is not null)
            {
                violation = NewViolation(LockViolationKind.ObservedOrderCycle, held, heldNow, heldIndex, lockClass, row, spins, site, stack, dependency, chain);
            }

            if (violation is not null)
            {
                state.Violations.Add(violation);
            }
        }
    }

    private static void Report(
        State state, LockViolationKind kind, List<HeldLock> held, int heldIndex, LockClass lockClass, LockOrderRow row, bool spins,
        Site site, LockDependency? dependency, List<LockDependency>? chain)
    {
        var violation = NewViolation(kind, held, Snapshot(held), heldIndex, lockClass, row, spins, site, CaptureStack(), dependency, chain);
        lock (s_gate)
        {
            state.Violations.Add(violation);
        }
    }

    private static LockViolation NewViolation(
        LockViolationKind kind, List<HeldLock> held, IReadOnlyList<HeldLockInfo> heldNow, int heldIndex, LockClass lockClass,
        LockOrderRow row, bool spins, Site site, string stack, LockDependency? dependency, List<LockDependency>? chain)
    {
        var h = held[heldIndex];
        return new LockViolation(
            kind, lockClass.Name, row.Row, spins, site.ToString(), h.Class.Name, h.Row.Row, h.Site.ToString(), heldNow, stack,
            dependency, (IReadOnlyList<LockDependency>?)chain ?? Array.Empty<LockDependency>(),
            Environment.CurrentManagedThreadId, Thread.CurrentThread.Name);
    }

    // Breadth-first search in the observed graph, under s_gate: the dependencies leading from 'from' to 'to'.
    private static List<LockDependency>? FindPath(State state, LockClass from, LockClass to)
    {
        var cameBy = new Dictionary<LockClass, LockDependency>();
        var queue = new Queue<LockClass>();
        queue.Enqueue(from);
        var seen = new HashSet<LockClass> { from };
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            if (!state.Out.TryGetValue(current, out var successors))
            {
                continue;
            }

            foreach (var dependency in successors)
            {
                var next = LockClass.Of(dependency.To);
                if (!seen.Add(next))
                {
                    continue;
                }

                cameBy[next] = dependency;
                if (ReferenceEquals(next, to))
                {
                    var path = new List<LockDependency>();
                    for (var at = to; !ReferenceEquals(at, from); at = LockClass.Of(cameBy[at].From))
                    {
                        path.Add(cameBy[at]);
                    }

                    path.Reverse();
                    return path;
                }

                queue.Enqueue(next);
            }
        }

        return null;
    }

    private static IReadOnlyList<HeldLockInfo> Snapshot(List<HeldLock> held)
    {
        var infos = new HeldLockInfo[held.Count];
        for (int i = 0; i < held.Count; i++)
        {
            var h = held[i];
            infos[i] = new HeldLockInfo(h.Class.Name, h.Row.Row, h.Spins, h.ByTryLock, h.Site.ToString());
        }

        return infos;
    }

    // The current stack with files and lines, without the validator's own frames.
    private static string CaptureStack()
    {
        var lines = new StackTrace(1, true).ToString().Split(Environment.NewLine);
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            if (line.Length > 0 && !line.Contains("SampleCache.Kernel.LockValidator.", StringComparison.Ordinal))
            {
                text.AppendLine(line);
            }
        }

        return text.ToString();
    }

    internal static string DescribeThread(int id, string? name) => name is null ? $"{id}" : $"{id} '{name}'";

    internal static void AppendHeld(StringBuilder text, IReadOnlyList<HeldLockInfo> held, string indent)
    {
        for (int i = 0; i < held.Count; i++)
        {
            text.Append(indent).Append('#').Append(i).Append(": ").Append(held[i]).AppendLine();
        }
    }

    internal static string Indent(string text, string indent)
    {
        var result = new StringBuilder();
        foreach (var line in text.Split(Environment.NewLine))
        {
            if (line.Length > 0)
            {
                result.Append(indent).AppendLine(line.TrimStart());
            }
        }

        return result.ToString();
    }

    private readonly record struct Edge(LockClass From, LockClass To);

    private readonly record struct Site(string Member, string File, int Line)
    {
        public override string ToString()
        {
            // The project folder and the file name are enough to tell the seed's CachedDir.cs from the reference's.
            string path = File.Replace('\\', '/');
            int last = path.LastIndexOf('/');
            int previous = last > 0 ? path.LastIndexOf('/', last - 1) : -1;
            return $"{path.Substring(previous + 1)}:{Line} in {Member}";
        }
    }

    private readonly record struct HeldLock(object Instance, LockClass Class, LockOrderRow Row, bool Spins, bool ByTryLock, Site Site);

    private sealed class State
    {
        public State(LockOrderTable table, int generation)
        {
            Table = table;
            Generation = generation;
        }

        public LockOrderTable Table { get; }

        public int Generation { get; }

        // Read without the gate on every acquisition; written under it.
        public ConcurrentDictionary<Edge, LockDependency> Edges { get; } = new();

        public ConcurrentDictionary<LockClass, bool> NestedReported { get; } = new();

        // Under the gate.
        public Dictionary<LockClass, List<LockDependency>> Out { get; } = new();

        public List<LockViolation> Violations { get; } = new();
    }

    private sealed class Session : IDisposable
    {
        private readonly State _state;

        public Session(State state) => _state = state;

        public void Dispose()
        {
            lock (s_gate)
            {
                if (ReferenceEquals(s_state, _state))
                {
                    Volatile.Write(ref s_state, null);
                }
            }
        }
    }
}
