using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Hierarchy;

/// <summary>A value given to an option that LockOrder cannot use, and what it uses instead (LOCK106).</summary>
/// <param name="Tree">A file the value applies to, where it was read from an .editorconfig section; null for a
/// .globalconfig (or an MSBuild property) that applies to the whole project.</param>
internal sealed record OptionProblem(string Key, string Message, SyntaxTree? Tree);

/// <summary>
/// The engine's settings, read from .editorconfig (a <c>[*.cs]</c> section) or .globalconfig through
/// <see cref="AnalyzerConfigOptions"/>, never from files or the environment. They are per project, like the table:
/// a global value wins; else the value of the first file (in the compilation's order) that has one, and files
/// that say otherwise are told which value is used. A value that cannot be used is a <see cref="OptionProblem"/>
/// and the default is kept: never an exception.
/// </summary>
/// <param name="MaxCallDepth">How many calls below a call made under a lock the summaries follow.</param>
/// <param name="BlockingMethods">Methods that may block or sleep, beside the built-in catalog and the table's
/// <c>blocking</c> list (<c>Namespace.Type.Method</c>).</param>
/// <param name="InvokerMethods">Methods without source that run their delegate arguments before returning,
/// beside the table's <c>invokes</c>.</param>
/// <param name="UnknownCallsMaySleep">Every call to a method without source that the catalog does not know may
/// sleep: a strict mode for spinlock-heavy code, noisy by design.</param>
/// <param name="CyclesNeedTable">LOCK008 runs only in projects that have a lockorder.json.</param>
internal sealed record LockOptions(int MaxCallDepth, ImmutableArray<string> BlockingMethods, ImmutableArray<string> InvokerMethods, bool UnknownCallsMaySleep, bool CyclesNeedTable)
{
    public const string MaxCallDepthKey = "lockorder.max_call_depth";
    public const string BlockingMethodsKey = "lockorder.blocking_methods";
    public const string InvokerMethodsKey = "lockorder.invoker_methods";
    public const string UnknownCallsMaySleepKey = "lockorder.unknown_calls_may_sleep";
    public const string CyclesNeedTableKey = "lockorder.cycles_need_table";

    public const int MinCallDepth = 1;
    public const int MaxOfCallDepth = 16;

    /// <summary>Every option LockOrder reads, in the order the docs list them.</summary>
    public static readonly ImmutableArray<string> Keys = ImmutableArray.Create(MaxCallDepthKey, BlockingMethodsKey, InvokerMethodsKey, UnknownCallsMaySleepKey, CyclesNeedTableKey);

    public static readonly LockOptions Default = new(6, ImmutableArray<string>.Empty, ImmutableArray<string>.Empty, UnknownCallsMaySleep: false, CyclesNeedTable: false);

    private static string KindName(ISymbol symbol) => symbol.Kind switch
    {
        SymbolKind.NamedType => "type",
        SymbolKind.Namespace => "namespace",
        SymbolKind.Field => "field",
        SymbolKind.Event => "event",
        _ => symbol.Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>What the options say for this compilation, and the values it could not use.</summary>
    public static (LockOptions Options, ImmutableArray<OptionProblem> Problems) Read(Compilation compilation, AnalyzerConfigOptionsProvider provider)
    {
        var problems = ImmutableArray.CreateBuilder<OptionProblem>();
        var options = Default;

        if (Value(MaxCallDepthKey) is var (depthText, depthTree))
        {
            if (int.TryParse(depthText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int depth) && depth >= MinCallDepth && depth <= MaxOfCallDepth)
            {
                options = options with { MaxCallDepth = depth };
            }
            else
            {
                problems.Add(new OptionProblem(MaxCallDepthKey,
                    $"'{depthText}' is not a call depth: {MaxCallDepthKey} takes a whole number from {MinCallDepth} to {MaxOfCallDepth}; using {Default.MaxCallDepth}", depthTree));
            }
        }

        if (Value(BlockingMethodsKey) is var (blockingText, blockingTree))
        {
            options = options with { BlockingMethods = Names(BlockingMethodsKey, blockingText, blockingTree, s => s is IMethodSymbol or IPropertySymbol) };
        }

        if (Value(InvokerMethodsKey) is var (invokerText, invokerTree))
        {
            options = options with { InvokerMethods = Names(InvokerMethodsKey, invokerText, invokerTree, s => s is IMethodSymbol) };
        }

        if (Value(UnknownCallsMaySleepKey) is var (sleepText, sleepTree))
        {
            options = options with { UnknownCallsMaySleep = Flag(UnknownCallsMaySleepKey, sleepText, sleepTree, Default.UnknownCallsMaySleep) };
        }

        if (Value(CyclesNeedTableKey) is var (tableText, tableTree))
        {
            options = options with { CyclesNeedTable = Flag(CyclesNeedTableKey, tableText, tableTree, Default.CyclesNeedTable) };
        }

        return (options, problems.ToImmutable());

        // The global value, else the first file's (and a problem on each file that says something else).
        (string Text, SyntaxTree? Tree)? Value(string key)
        {
            if (provider.GlobalOptions.TryGetValue(key, out var global))
            {
                return (global.Trim(), null);
            }

            (string Text, SyntaxTree Tree)? first = null;
            foreach (var tree in compilation.SyntaxTrees)
            {
                if (!provider.GetOptions(tree).TryGetValue(key, out var text))
                {
                    continue;
                }

                text = text.Trim();
                if (first is null)
                {
                    first = (text, tree);
                }
                else if (!string.Equals(first.Value.Text, text, System.StringComparison.Ordinal))
                {
                    problems.Add(new OptionProblem(key,
                        $"'{text}' differs from '{first.Value.Text}' set for {System.IO.Path.GetFileName(first.Value.Tree.FilePath)}: {key} has one value per project; using '{first.Value.Text}' (set it once, in a .globalconfig or one [*.cs] section)", tree));
                }
            }

            return first;
        }

        bool Flag(string key, string text, SyntaxTree? tree, bool fallback)
        {
            if (bool.TryParse(text, out bool value))
            {
                return value;
            }

            problems.Add(new OptionProblem(key, $"'{text}' is not true or false: {key} takes true or false; using {(fallback ? "true" : "false")}", tree));
            return fallback;
        }

        // Namespace.Type.Member names, separated by commas (a ';' starts a comment in .editorconfig); a name of this compilation's namespaces
        // that does not resolve is reported (as the table's LOCK103 does), one of another project's is not.
        ImmutableArray<string> Names(string key, string text, SyntaxTree? tree, System.Func<ISymbol, bool> acceptable)
        {
            var names = new List<string>();
            foreach (var name in text.Split(new[] { ',', ';' }, System.StringSplitOptions.RemoveEmptyEntries).Select(n => n.Trim()).Where(n => n.Length > 0))
            {
                var status = SymbolResolver.Resolve(compilation, name, out var symbols, out var missing);
                if (status == ResolveStatus.Missing)
                {
                    problems.Add(new OptionProblem(key, $"'{name}' does not resolve in this compilation ('{missing}' not found): {key} takes Namespace.Type.Method names; it is left out", tree));
                }
                else if (status == ResolveStatus.Resolved && !symbols.Any(acceptable))
                {
                    problems.Add(new OptionProblem(key, $"'{name}' is a {KindName(symbols[0])}, not a method: {key} takes Namespace.Type.Method names; it is left out", tree));
                }
                else
                {
                    names.Add(name);
                }
            }

            return names.ToImmutableArray();
        }
    }
}
