using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine;
using Microsoft.Build.Locator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.MSBuild;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Cli.Graph;

/// <summary>Why a graph could not be made, said to the user as it is (no stack trace), with the exit code.</summary>
public sealed class GraphInputException : Exception
{
    public GraphInputException(string message, int exitCode, IReadOnlyList<string>? details = null)
        : base(message)
    {
        ExitCode = exitCode;
        Details = details ?? Array.Empty<string>();
    }

    public GraphInputException()
        : this("bad input", ExitCodes.BadInput)
    {
    }

    public GraphInputException(string message)
        : this(message, ExitCodes.BadInput)
    {
    }

    public GraphInputException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.LoadFailed;
        Details = Array.Empty<string>();
    }

    public int ExitCode { get; }

    /// <summary>The workspace's diagnostics, one a line.</summary>
    public IReadOnlyList<string> Details { get; }
}

/// <summary>The exit codes of <c>lockorder graph</c>.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command line could not be parsed (System.CommandLine's own code).</summary>
    public const int Usage = 1;

    /// <summary>A file named on the command line does not exist or is not a project, solution or table.</summary>
    public const int BadInput = 2;

    /// <summary>MSBuild could not load the project or solution.</summary>
    public const int LoadFailed = 3;
}

/// <summary>A C# project's compilation and the options the analyzer would be given for it.</summary>
public sealed record LoadedProject(string Name, Compilation Compilation, AnalyzerOptions Options);

/// <summary>Loads a project or a solution with MSBuildWorkspace, on the MSBuild of the .NET SDK that runs the tool
/// (found by Microsoft.Build.Locator), and gives each C# project's compilation with the options the analyzer gets
/// in a build: its additional files (the table among them) and its analyzer config.</summary>
public static class ProjectLoader
{
    private static readonly object Gate = new();

    /// <summary>Registers the SDK's MSBuild once per process, before any MSBuild type is loaded.</summary>
    public static void EnsureMSBuild()
    {
        lock (Gate)
        {
            if (!MSBuildLocator.IsRegistered)
            {
                MSBuildLocator.RegisterDefaults();
            }
        }
    }

    /// <param name="path">A .csproj, or a .sln/.slnx (every C# project in it).</param>
    /// <param name="warnings">Where the workspace's warnings go, and its failures when some projects still loaded.</param>
    /// <param name="properties">Global MSBuild properties for the load, as <c>dotnet build -p:</c> gives them.</param>
    public static async Task<IReadOnlyList<LoadedProject>> LoadAsync(string path, Action<string> warnings, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? properties = null)
    {
        if (!File.Exists(path))
        {
            throw new GraphInputException(Directory.Exists(path)
                ? $"'{path}' is a directory: give the project (.csproj) or solution (.sln, .slnx) file"
                : $"'{path}' does not exist", ExitCodes.BadInput);
        }

        var extension = Path.GetExtension(path).ToUpperInvariant();
        if (extension is not (".CSPROJ" or ".SLN" or ".SLNX"))
        {
            throw new GraphInputException($"'{path}' is not a C# project (.csproj) or a solution (.sln, .slnx)", ExitCodes.BadInput);
        }

        EnsureMSBuild();
        return await OpenAsync(Path.GetFullPath(path), extension != ".CSPROJ", warnings, properties, cancellationToken).ConfigureAwait(false);
    }

    // Kept out of LoadAsync so that no MSBuild type is touched before the locator has registered the SDK's MSBuild.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<IReadOnlyList<LoadedProject>> OpenAsync(string path, bool isSolution, Action<string> warnings,
        IReadOnlyDictionary<string, string>? properties, CancellationToken cancellationToken)
    {
        using var workspace = properties is { Count: > 0 }
            ? MSBuildWorkspace.Create(properties.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase))
            : MSBuildWorkspace.Create();
        IEnumerable<Project> projects;
        try
        {
            if (isSolution)
            {
                var solution = await workspace.OpenSolutionAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
                projects = solution.Projects;
            }
            else
            {
                projects = new[] { await workspace.OpenProjectAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false) };
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new GraphInputException($"MSBuild could not load '{path}': {ex.Message}", ExitCodes.LoadFailed, Describe(workspace.Diagnostics).ToList());
        }

        var failures = Describe(workspace.Diagnostics.Where(d => d.Kind == WorkspaceDiagnosticKind.Failure)).ToList();
        foreach (var warning in Describe(workspace.Diagnostics.Where(d => d.Kind != WorkspaceDiagnosticKind.Failure)))
        {
            warnings(warning);
        }

        var loaded = new List<LoadedProject>();
        var images = new Dictionary<Compilation, MetadataReference?>();
        foreach (var project in projects.Where(p => p.Language == LanguageNames.CSharp).OrderBy(p => p.FilePath, StringComparer.Ordinal))
        {
            if (!project.Documents.Any())
            {
                // What MSBuild could not evaluate (a broken project, a target framework this machine cannot build)
                // comes back without sources: nothing to graph.
                warnings($"warning: {project.Name}: no source files loaded; left out of the graph");
                continue;
            }

            var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
            if (compilation is null)
            {
                warnings($"warning: {project.Name}: no compilation; left out of the graph");
                continue;
            }

            compilation = AsBuilt(compilation, images, warnings, cancellationToken);

            var errors = compilation.GetDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                warnings(string.Create(CultureInfo.InvariantCulture,
                    $"warning: {project.Name} does not compile ({errors.Count} errors; restore or build it first), so the graph may miss locks. First: {errors[0]}"));
            }

            loaded.Add(new LoadedProject(project.Name, compilation, project.AnalyzerOptions));
        }

        // A multi-targeted project often fails for one target (reference assemblies of an old .NET Framework that
        // this machine lacks) and loads for the others; a solution may have one project MSBuild cannot evaluate.
        // Graph what loaded and say what did not; stop only when nothing did.
        if (loaded.Count == 0 && failures.Count > 0)
        {
            throw new GraphInputException($"MSBuild could not load '{path}' ({failures.Count} failure{(failures.Count == 1 ? "" : "s")}):", ExitCodes.LoadFailed, failures);
        }

        foreach (var failure in failures)
        {
            warnings("warning: MSBuild: " + failure.TrimStart().Replace("failure: ", "", StringComparison.Ordinal) + " (graphing what loaded)");
        }

        return loaded;
    }

    /// <summary>
    /// The compilation as <c>dotnet build</c> gives it to the analyzer: a workspace references other projects of the
    /// solution as compilations (their methods have syntax, in another compilation), a build as assemblies (their
    /// methods have no source: they do not lock, and run delegates or sleep only as the catalog and the table say).
    /// Each referenced project is emitted in memory once and referenced as metadata.
    /// </summary>
    private static Compilation AsBuilt(Compilation compilation, Dictionary<Compilation, MetadataReference?> images, Action<string> warnings, CancellationToken cancellationToken)
    {
        foreach (var reference in compilation.References.OfType<CompilationReference>().ToList())
        {
            if (!images.TryGetValue(reference.Compilation, out var image))
            {
                images[reference.Compilation] = image = Emit(reference.Compilation, cancellationToken);
                if (image is null)
                {
                    warnings($"warning: the referenced project {reference.Compilation.AssemblyName} does not compile; its methods are read from its source");
                }
            }

            if (image is not null)
            {
                compilation = compilation.ReplaceReference(reference, image.WithProperties(reference.Properties));
            }
        }

        return compilation;
    }

    private static MetadataReference? Emit(Compilation compilation, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream, options: new Microsoft.CodeAnalysis.Emit.EmitOptions(metadataOnly: true), cancellationToken: cancellationToken);
        return result.Success ? MetadataReference.CreateFromImage(stream.ToArray(), filePath: compilation.AssemblyName + ".dll") : null;
    }

    private static IEnumerable<string> Describe(IEnumerable<WorkspaceDiagnostic> diagnostics)
        => diagnostics.Select(d => $"{d.Kind.ToString().ToLowerInvariant()}: {d.Message}");

    /// <summary>The options with <paramref name="table"/> as the only lockorder.json (--table), the project's other
    /// additional files and analyzer config kept.</summary>
    public static AnalyzerOptions WithTable(AnalyzerOptions options, string table)
    {
        if (!File.Exists(table))
        {
            throw new GraphInputException($"the table '{table}' does not exist", ExitCodes.BadInput);
        }

        if (!LockModel.IsTableFile(table))
        {
            throw new GraphInputException($"the table '{table}' must be named lockorder.json, the only name the analyzer reads a table from", ExitCodes.BadInput);
        }

        return new(options.AdditionalFiles.Where(f => !LockModel.IsTableFile(f.Path)).ToImmutableArray().Add(new FileText(Path.GetFullPath(table))), options.AnalyzerConfigOptionsProvider);
    }

    /// <summary>An additional file read from disk.</summary>
    private sealed class FileText : AdditionalText
    {
        public FileText(string path) => Path = path;

        public override string Path { get; }

        public override SourceText GetText(CancellationToken cancellationToken = default)
        {
            using var stream = File.OpenRead(Path);
            return SourceText.From(stream);
        }
    }
}
