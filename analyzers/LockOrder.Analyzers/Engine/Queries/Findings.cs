using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Queries;

/// <summary>One step of the path a finding was reached through, shown in messages and as an additional location.</summary>
internal sealed record ChainStep(string Text, Location Location);

/// <summary>A related location of a finding and what happens there ("'C._a' is acquired here", "step 2:
/// CachedDir.ReleaseCachedFid"): the IDE shows the location, the SARIF log both.</summary>
internal readonly record struct Related(Location Location, string Message);

/// <summary>
/// The path from a call site down to what a finding is about (a call, a callback, a lock acquisition). One format
/// for every rule: <see cref="Via"/> in messages, <see cref="Locations"/> as additional locations (the IDE and the
/// SARIF log's relatedLocations).
/// </summary>
internal readonly record struct Chain(EquatableArray<ChainStep> Steps)
{
    public static readonly Chain Empty = new(new EquatableArray<ChainStep>(ImmutableArray<ChainStep>.Empty));

    public Chain(ImmutableArray<ChainStep> steps)
        : this(new EquatableArray<ChainStep>(steps))
    {
    }

    public bool IsEmpty => Steps.Items.IsEmpty;

    /// <summary>How many calls deep the chain goes: its steps but the last (the acquisition or blocking call).</summary>
    public int Depth => System.Math.Max(0, Steps.Items.Length - 1);

    public ChainStep First => Steps.Items[0];

    public static Chain Of(string text, Location location) => new(ImmutableArray.Create(new ChainStep(text, location)));

    public Chain Then(Chain rest) => new(Steps.Items.AddRange(rest.Steps.Items));

    public Chain Then(string text, Location location) => new(Steps.Items.Add(new ChainStep(text, location)));

    /// <summary>"A -> B -> C", shortening the middle of long chains.</summary>
    public string Text
    {
        get
        {
            var texts = Steps.Items.Select(s => s.Text).ToList();
            if (texts.Count > 6)
            {
                texts = texts.Take(3).Concat(new[] { "..." }).Concat(texts.Skip(texts.Count - 2)).ToList();
            }

            return string.Join(" -> ", texts);
        }
    }

    /// <summary>" (via A -> B -> C)", or nothing for a finding in the body itself.</summary>
    public string Via => IsEmpty ? "" : " (via " + Text + ")";

    /// <summary>The source locations of the steps.</summary>
    public IEnumerable<Location> Locations => Steps.Items.Select(s => s.Location).Where(l => l.IsInSource);

    /// <summary>Each step as a related location: "step 1: Kref.Put", ..., "step 3: acquiring 'X'".</summary>
    public IEnumerable<Related> Related => Steps.Items.Select((s, i) => new Related(s.Location, $"step {i + 1}: {s.Text}"));
}

/// <summary>How findings name places, methods and paths.</summary>
internal static class Findings
{
    /// <summary>Where the held lock was taken, then each step of the chain.</summary>
    public static IEnumerable<Related> Steps(HeldLock held, Chain chain)
        => new[] { Acquired(held) }.Concat(chain.Related);

    /// <summary>Where a held lock was taken.</summary>
    public static Related Acquired(HeldLock held) => new(OperationLocations.Of(held.Site), $"{held.Class.Display} is acquired here");

    /// <summary>"File.cs(12)": a place named in a message.</summary>
    public static string Where(Location location)
    {
        var span = location.GetLineSpan();
        return System.IO.Path.GetFileName(span.Path) + "(" + (span.StartLinePosition.Line + 1) + ")";
    }

    /// <summary>How a chain names a method: <c>Type.Method</c>, a local function's name, or "lambda at line N".</summary>
    public static string Display(IMethodSymbol method) => method.MethodKind switch
    {
        MethodKind.AnonymousFunction => "lambda at line " + (method.Locations.FirstOrDefault()?.GetLineSpan().StartLinePosition.Line + 1),
        MethodKind.LocalFunction => method.Name,
        _ => method.ContainingType.Name + "." + method.Name,
    };
}
