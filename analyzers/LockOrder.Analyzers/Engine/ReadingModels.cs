using System;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine;

/// <summary>
/// The semantic models the engine reads other code through: bodies a summary needs, the trees a question about
/// delegates or callers must bind. None of what the engine reads depends on nullability (symbols are compared with
/// <see cref="SymbolEqualityComparer.Default"/>, which ignores it, and no rule reads an annotation or a flow state),
/// yet a model asked about any node of a member in a nullable-enabled file first runs the compiler's nullable
/// analysis over the whole member: on a keystroke in NLog that was about half of LockOrder's time (1,368 ms with it,
/// 608 ms with the analysis switched off for the whole compilation, medians of 4; docs/performance.md, change 27).
/// Newer Roslyn can give a model without it (<c>SemanticModelOptions.DisableNullableAnalysis</c>: 4.14, the tests'
/// version, and 5.9, this SDK's compiler, have it; 4.8 has not). The analyzer is compiled against 4.8 so that older
/// hosts load it, so the newer overload is found at run time, once, the way roslyn-analyzers' "lightup" helpers call
/// APIs newer than the one they compile against. A host without it gets the compilation's own models, which give
/// the same answers more slowly.
/// </summary>
/// <remarks>
/// These models are not the driver's cached ones, so the engine asks for one per tree it scans or per body it reads
/// and drops it after: a member is bound once per model, and each body's facts are kept by the engine. A tree the
/// driver is analysing (the edited document in the IDE, every tree in turn in a build) is read through the driver's
/// own model for as long as the driver keeps it: other analyzers bind that tree's bodies in it anyway, so reading
/// them there costs nothing more. The engine holds that model weakly, so it keeps no binding alive (the facts keep
/// no model either; docs/performance.md, change 16).
/// </remarks>
internal static class ReadingModels
{
    /// <summary><c>SemanticModelOptions.DisableNullableAnalysis</c> (<c>1 &lt;&lt; 1</c>).</summary>
    private const int DisableNullableAnalysis = 2;

    private static readonly Func<Compilation, SyntaxTree, SemanticModel>? WithoutNullable = Find();

    /// <summary>Whether the host offers models without nullable analysis (a test hook).</summary>
    internal static bool Available => WithoutNullable is not null;

    /// <summary>Trees read through the compilation's own models all the same (a test hook: the answers must not change).</summary>
    private static readonly ConditionalWeakTable<SyntaxTree, object> Ordinary = new();

    /// <summary>Reads <paramref name="tree"/> through the compilation's own models (a test hook).</summary>
    internal static void UseOrdinaryModels(SyntaxTree tree) => Ordinary.GetValue(tree, _ => new object());

    /// <summary>The model the driver gave for each tree, held weakly: kept alive by the driver only.</summary>
    private static readonly ConditionalWeakTable<SyntaxTree, DriverModel> Driver = new();

    private sealed class DriverModel
    {
        public volatile WeakReference<SemanticModel>? Model;
    }

    /// <summary>Notes the model the driver gave a rule for its tree: read through it while the driver keeps it.</summary>
    public static void Given(SemanticModel model)
    {
        var seen = Driver.GetValue(model.SyntaxTree, _ => new DriverModel());
        if (seen.Model is not { } known || !known.TryGetTarget(out var current) || !ReferenceEquals(current, model))
        {
            seen.Model = new WeakReference<SemanticModel>(model);
        }
    }

    /// <summary>A model of <paramref name="tree"/> to read symbols, types and operations through.</summary>
    public static SemanticModel For(Compilation compilation, SyntaxTree tree)
    {
        if (Driver.TryGetValue(tree, out var seen) && seen.Model is { } weak && weak.TryGetTarget(out var given)
            && ReferenceEquals(given.Compilation, compilation) && !given.IsSpeculativeSemanticModel)
        {
            return given;
        }

        if (WithoutNullable is { } withoutNullable && !Ordinary.TryGetValue(tree, out _))
        {
            return withoutNullable(compilation, tree);
        }

#pragma warning disable RS1030 // The engine reads other trees on demand; the driver caches these models.
        return compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
    }

    /// <summary>One model per tree for a question that reads several places, some in the same member.</summary>
    public sealed class PerTree
    {
        private readonly Compilation _compilation;
        private readonly System.Collections.Generic.Dictionary<SyntaxTree, SemanticModel> _models = new();

        public PerTree(Compilation compilation)
        {
            _compilation = compilation;
        }

        public SemanticModel Of(SyntaxTree tree)
        {
            if (!_models.TryGetValue(tree, out var model))
            {
                _models[tree] = model = For(_compilation, tree);
            }

            return model;
        }
    }

    private static Func<Compilation, SyntaxTree, SemanticModel>? Find()
    {
        try
        {
            var options = typeof(Compilation).Assembly.GetType("Microsoft.CodeAnalysis.SemanticModelOptions", throwOnError: false);
            var method = options is null || !Enum.IsDefined(options, DisableNullableAnalysis)
                ? null
                : typeof(Compilation).GetMethod(nameof(Compilation.GetSemanticModel), BindingFlags.Public | BindingFlags.Instance, null, new[] { typeof(SyntaxTree), options }, null);
            if (method is null || method.ReturnType != typeof(SemanticModel))
            {
                return null;
            }

            var compilation = Expression.Parameter(typeof(Compilation), "compilation");
            var tree = Expression.Parameter(typeof(SyntaxTree), "tree");
            var call = Expression.Call(compilation, method, tree, Expression.Constant(Enum.ToObject(options!, DisableNullableAnalysis), options!));
            return Expression.Lambda<Func<Compilation, SyntaxTree, SemanticModel>>(call, compilation, tree).Compile();
        }
#pragma warning disable CA1031 // A host that cannot give these models is served the ordinary ones; the analyzer must not fail to load.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }
}
