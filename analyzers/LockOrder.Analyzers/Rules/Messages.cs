using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Rules;

/// <summary>
/// Every diagnostic the rules create, one typed builder per message: the rule passes locks, rows and chains, and the
/// builder puts them in the descriptor's format (<see cref="Descriptors"/>) and adds the related locations (where
/// the held lock was taken, then each step of the chain).
/// </summary>
internal static class Messages
{
    /// <summary>The properties naming the rows of a LOCK001 finding: what its fixes need to reorder code or table.</summary>
    public const string TakenRowProperty = "LockOrder.TakenRow";
    public const string HeldRowProperty = "LockOrder.HeldRow";

    public static Diagnostic OutOfOrder(Location at, LockDecl taken, HeldLock held, LockDecl heldRow, Chain chain)
        => Create(Descriptors.OutOfOrder, at, Findings.Steps(held, chain), Rows(taken, heldRow),
            taken.Display, heldRow.Display, taken.Name, chain.Via, $"'{heldRow.Name}'");

    /// <param name="what">"'Thread.Sleep'", or "acquiring mutex 'x'".</param>
    public static Diagnostic SleepInAtomic(Location at, string what, HeldLock spin, Chain chain)
        => Create(Descriptors.SleepInAtomic, at, Findings.Steps(spin, chain), what, spin.Class.Display, chain.Via, spin.Class.Display);

    /// <param name="why">What goes wrong; by default, that the primitive is not reentrant.</param>
    public static Diagnostic SelfDeadlock(Location at, LockClass taken, HeldLock held, Chain chain, string? why = null)
        => Create(Descriptors.SelfDeadlock, at, Findings.Steps(held, chain), taken.Display, chain.Via, why ?? NotReentrant(taken));

    public static Diagnostic SelfDeadlockAcrossInstances(Location at, LockClass taken, HeldLock held, AccessPath takenInstance, AccessPath heldInstance)
        => Create(Descriptors.SelfDeadlock, at, Findings.Steps(held, Chain.Empty), taken.Display,
            $" on another instance ('{takenInstance}' while '{heldInstance}' is held)",
            "one lock class nested in itself can deadlock against a thread nesting the other way (mark its row 'nestable' if instances always nest in one order)");

    public static Diagnostic HeldOnSomeExits(HeldLock held, Location exit, string body)
        => Unbalanced(held.Site, new[] { new Related(exit, body + " returns here holding it on some paths") },
            $"{held.Class.Display} is still held when {body} returns on some paths but not on others; release it on every path, or declare the method as a primitive in lockorder.json if it is meant to return holding the lock");

    public static Diagnostic HeldOnSomePaths(HeldLock held, Location merge)
        => Unbalanced(held.Site, new[] { new Related(merge, "paths that hold it and paths that do not meet here") },
            $"{held.Class.Display} is held on some of the paths that meet at line {merge.GetLineSpan().StartLinePosition.Line + 1} but not on others; take and release it on the same paths");

    public static Diagnostic HeldAtExit(HeldLock held, string body)
        => Unbalanced(held.Site, Enumerable.Empty<Related>(),
            $"{held.Class.Display} is acquired here and still held when {body} returns; release it before returning, or declare {body} as an acquire wrapper in lockorder.json 'primitives'");

    public static Diagnostic ReleasedWhenNotHeld(SyntaxNode release, LockClass lockClass)
        => Unbalanced(release, Enumerable.Empty<Related>(),
            $"{lockClass.Display} is released here but is not held on every path that reaches this release; release only what this method holds");

    public static Diagnostic NotInTable(Location at, LockClass lockClass)
        => Diagnostic.Create(Descriptors.NotInTable, at, lockClass.Display);

    /// <param name="callers">Where the method is called without the lock, when that is why it is reported.</param>
    public static Diagnostic Unprotected(SyntaxNode access, ISymbol member, bool isWrite, LockDecl row, string callersText, IEnumerable<Location> callers)
        => Create(Descriptors.Unprotected, OperationLocations.Of(access), callers.Select(c => new Related(c, $"called here without {row.Display}")),
            SymbolNames.Qualified(member.OriginalDefinition), isWrite ? "written" : "read", row.Display, callersText);

    public static Diagnostic AwaitUnderLock(SyntaxNode awaitSyntax, IReadOnlyList<HeldLock> held)
        => Create(Descriptors.AwaitUnderLock, OperationLocations.Of(awaitSyntax), held.Select(Findings.Acquired),
            string.Join(" and ", held.Select(h => h.Class.Display)));

    /// <param name="what">"'Thread.Sleep'", or the first step of the chain to it.</param>
    public static Diagnostic WaitUnderSleepingLock(Location at, string what, HeldLock held, Chain chain)
        => Create(Descriptors.WaitUnderSleepingLock, at, Findings.Steps(held, chain), what, held.Class.Display, chain.Via);

    public static Diagnostic HeldWhileFreed(Location at, HeldLock held, AccessPath freed, Chain chain)
        => Create(Descriptors.HeldWhileFreed, at, Findings.Steps(held, chain), held.Class.Display, freed.ToString(), chain.Via);

    /// <summary>LOCK008 at edge <paramref name="here"/> of a cycle: the locks around it, each edge with its place and
    /// chain, and the interleaving that deadlocks.</summary>
    public static Diagnostic OrderCycle(IReadOnlyList<LockEdge> cycle, int here)
    {
        var edge = cycle[here];
        string locks = string.Join(" -> ", cycle.Select(e => e.From.Display).Concat(new[] { cycle[0].From.Display }));
        var parts = new List<string> { $"here {edge.To.Display} is acquired while {edge.From.Display} is held{edge.Chain.Via}" };
        for (int k = 1; k < cycle.Count; k++)
        {
            var other = cycle[(here + k) % cycle.Count];
            parts.Add($"at {Findings.Where(other.Site)} {other.To.Display} is acquired while {other.From.Display} is held{other.Chain.Via}");
        }

        string interleaving = string.Join("; ", cycle.Select((e, k) => $"thread {k + 1} holds {e.From.Display} and waits for {e.To.Display}"));
        var related = cycle.Select((e, k) => (e, k)).Where(p => p.k != here)
            .Select(p => new Related(p.e.Site, $"{p.e.To.Display} is acquired while {p.e.From.Display} is held{p.e.Chain.Via}"))
            .Concat(new[] { new Related(edge.HeldSite, $"{edge.From.Display} is acquired here") });
        return Create(Descriptors.OrderCycle, edge.Site, related, locks, string.Join("; ", parts), interleaving);
    }

    public static Diagnostic NoTable() => Diagnostic.Create(Descriptors.NoTable, Location.None);

    public static Diagnostic InvalidOption(OptionProblem problem, Location at) => Diagnostic.Create(Descriptors.InvalidOption, at, problem.Key, problem.Message);

    public static Diagnostic NotAnalysed(Location at, IMethodSymbol body, string bound)
        => Diagnostic.Create(Descriptors.NotAnalysed, at, $"'{Findings.Display(body)}'", bound);

    private static Diagnostic Unbalanced(SyntaxNode site, IEnumerable<Related> related, string message)
        => Create(Descriptors.Unbalanced, OperationLocations.Of(site), related, message);

    /// <summary>The prefix of the properties that carry what happens at each related location, by its index
    /// (<c>LockOrder.Related.0</c>, ...): the SARIF log writes them as the result's customProperties, and the
    /// package's build step puts them on the log's relatedLocations as messages.</summary>
    public const string RelatedProperty = "LockOrder.Related.";

    /// <summary>A diagnostic with related locations (those in source, in order) and their messages as properties.</summary>
    private static Diagnostic Create(DiagnosticDescriptor descriptor, Location at, IEnumerable<Related> related, params object?[] args)
        => Create(descriptor, at, related, ImmutableDictionary<string, string?>.Empty, args);

    private static Diagnostic Create(DiagnosticDescriptor descriptor, Location at, IEnumerable<Related> related, ImmutableDictionary<string, string?> facts, params object?[] args)
    {
        var inSource = related.Where(r => r.Location.IsInSource).ToList();
        var properties = facts.AddRange(inSource.Select((r, i) => new KeyValuePair<string, string?>(RelatedProperty + i.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Message)));
        return Diagnostic.Create(descriptor, at, inSource.Select(r => r.Location), properties, args);
    }

    private static ImmutableDictionary<string, string?> Rows(LockDecl taken, LockDecl held)
        => ImmutableDictionary<string, string?>.Empty.Add(TakenRowProperty, taken.Name).Add(HeldRowProperty, held.Name);

    private static string NotReentrant(LockClass lockClass)
        => (lockClass.Api.NonReentrantName ?? "a " + lockClass.Kind.Name()) + " is not reentrant, so this deadlocks";
}
