using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Cli.Graph;
using LockOrder.Engine;

namespace LockOrder.Cli;

/// <summary><c>lockorder graph &lt;project-or-solution&gt; [--format dot|mermaid|svg|json] [-o file] [--table lockorder.json] [-p name=value]</c>:
/// the lock graph the analyzer's engine sees (docs/graph.md).</summary>
public static class GraphCommand
{
    public static readonly IReadOnlyList<string> Formats = new[] { "dot", "mermaid", "svg", "json" };

    public static Command Create()
    {
        var input = new Argument<string>("project-or-solution")
        {
            Description = "The C# project (.csproj) or solution (.sln, .slnx) to graph; restore it first.",
        };
        var format = new Option<string?>("--format", "-f")
        {
            Description = "dot, mermaid, svg or json; by default from the output file's extension (.dot/.gv, .mmd/.md, .svg, .json), else dot.",
        };
        format.AcceptOnlyFromAmong(Formats.ToArray());
        var output = new Option<string?>("--output", "-o")
        {
            Description = "The file to write; standard output when absent.",
        };
        var table = new Option<string?>("--table")
        {
            Description = "A lockorder.json to use instead of the project's own (its additional file named lockorder.json).",
        };

        var properties = new Option<string[]>("--property", "-p")
        {
            Description = "An MSBuild property for loading the project, name=value, as dotnet build -p: gives it (repeatable), e.g. -p TargetFramework=net8.0.",
        };

        var command = new Command("graph", "Draw the lock graph LockOrder's engine sees: the table's declared order, every lock taken while another is held (forbidden by the table, in a cycle, or ordinary), and every call that may sleep under a spinlock, each edge with one witness.")
        {
            input,
            format,
            output,
            table,
            properties,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(input)!, parse.GetValue(format), parse.GetValue(output), parse.GetValue(table),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken, parse.GetValue(properties)));
        return command;
    }

    /// <summary>Loads, graphs and writes; errors are said on <paramref name="error"/> with a nonzero exit code.</summary>
    public static async Task<int> RunAsync(string input, string? format, string? output, string? table, TextWriter stdout, TextWriter error, CancellationToken cancellationToken,
        IReadOnlyList<string>? properties = null)
    {
        try
        {
            var msbuildProperties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in properties ?? Array.Empty<string>())
            {
                int equals = property.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new GraphInputException($"the property '{property}' is not name=value", ExitCodes.BadInput);
                }

                msbuildProperties[property[..equals].Trim()] = property[(equals + 1)..];
            }

            var chosen = format ?? FormatOf(output) ?? "dot";
            if (table is not null && !File.Exists(table))
            {
                throw new GraphInputException($"the table '{table}' does not exist", ExitCodes.BadInput);
            }

            var projects = await ProjectLoader.LoadAsync(input, line => error.WriteLine(line), cancellationToken, msbuildProperties).ConfigureAwait(false);
            var graph = Build(input, Environment.CurrentDirectory, projects, table, line => error.WriteLine(line), cancellationToken);
            var text = Write(graph, chosen);
            if (output is null)
            {
                await stdout.WriteAsync(text).ConfigureAwait(false);
            }
            else
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(output));
                if (directory is not null)
                {
                    Directory.CreateDirectory(directory);
                }

                await File.WriteAllTextAsync(output, text, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
                error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"wrote {output}: {graph.Nodes.Count} nodes, {string.Join(", ", Enum.GetValues<EdgeKind>().Select(k => $"{graph.OfKind(k).Count()} {Styles.Of(k).Name}"))} edges"));
            }

            return ExitCodes.Ok;
        }
        catch (GraphInputException ex)
        {
            error.WriteLine("error: " + ex.Message);
            foreach (var line in ex.Details)
            {
                error.WriteLine("  " + line);
            }

            return ex.ExitCode;
        }
        catch (IOException ex)
        {
            error.WriteLine("error: " + ex.Message);
            return ExitCodes.BadInput;
        }
        catch (UnauthorizedAccessException ex)
        {
            error.WriteLine("error: " + ex.Message);
            return ExitCodes.BadInput;
        }
    }

    /// <summary>The graph of loaded projects, each read with the analyzer's own model (<see cref="LockModel.For"/>)
    /// and the engine's graph query; the table is each project's own unless <paramref name="table"/> is given.</summary>
    public static Graph.LockGraph Build(string source, string baseDirectory, IReadOnlyList<LoadedProject> projects, string? table, Action<string> warnings, CancellationToken cancellationToken)
    {
        var graphs = new List<Engine.Queries.LockGraphFacts>();
        var tables = new List<string>();
        foreach (var project in projects)
        {
            var options = table is null ? project.Options : ProjectLoader.WithTable(project.Options, table);
            var model = LockModel.For(project.Compilation, options, cancellationToken);
            if (model.TableFile is { } file)
            {
                tables.Add(file.Path);
                foreach (var problem in model.Table.Problems)
                {
                    var line = model.TableText!.Lines.GetLinePosition(problem.Span.Start).Line + 1;
                    warnings(string.Create(CultureInfo.InvariantCulture,
                        $"warning: {file.Path}({line}): {problem.Rule.Id}: {string.Format(CultureInfo.InvariantCulture, problem.Rule.MessageFormat.ToString(CultureInfo.InvariantCulture), problem.Args)}"));
                }

                if (!model.HasTable)
                {
                    warnings($"warning: {project.Name}: {file.Path} could not be read; the graph has no declared order");
                }
            }

            graphs.Add(Engine.Queries.LockGraph.Of(model, cancellationToken));
        }

        if (tables.Count == 0)
        {
            warnings("note: no lockorder.json among the additional files (give one with --table); the graph has no declared order");
        }

        return GraphBuilder.Build(source, baseDirectory, graphs, tables);
    }

    /// <summary>The graph in one of <see cref="Formats"/>.</summary>
    public static string Write(Graph.LockGraph graph, string format) => format switch
    {
        "dot" => DotWriter.Write(graph),
        "mermaid" => MermaidWriter.Write(graph),
        "svg" => SvgWriter.Write(graph),
        "json" => JsonWriter.Write(graph),
        _ => throw new GraphInputException($"unknown format '{format}': use {string.Join(", ", Formats)}", ExitCodes.BadInput),
    };

    private static string? FormatOf(string? output) => Path.GetExtension(output ?? "").ToUpperInvariant() switch
    {
        ".DOT" or ".GV" => "dot",
        ".MMD" or ".MERMAID" or ".MD" => "mermaid",
        ".SVG" => "svg",
        ".JSON" => "json",
        _ => null,
    };
}
