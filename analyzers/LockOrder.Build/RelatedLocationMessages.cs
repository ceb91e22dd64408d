using System;
using System.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace LockOrder.Build;

/// <summary>
/// Completes LockOrder's results in a SARIF 2.1 log the compiler wrote (<c>-p:ErrorLog=log.sarif%2Cversion=2.1</c>):
/// the compiler writes each diagnostic's additional locations as <c>relatedLocations</c> without a message, and its
/// properties as <c>properties.customProperties</c>; LockOrder's diagnostics carry the message of each related
/// location there (<c>LockOrder.Related.N</c>), which this task moves onto the related location, with an id, as
/// code-scanning tools expect. Other tools' results are left as they are. Running it twice changes nothing.
/// </summary>
public sealed class RelatedLocationMessages : Microsoft.Build.Utilities.Task
{
    private const string Prefix = "LockOrder.Related.";

    /// <summary>The ErrorLog property as given to the compiler: <c>path</c> or <c>path,version=2.1</c>.</summary>
    [Required]
    public string ErrorLog { get; set; } = "";

    public override bool Execute()
    {
        var path = ErrorLog.Split(',')[0].Trim();
        if (path.Length == 0 || !File.Exists(path))
        {
            Log.LogMessage(MessageImportance.Low, "LockOrder: no SARIF log at '{0}'", path);
            return true;
        }

        JsonNode? log;
        try
        {
            log = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            Log.LogWarning("LockOrder: the SARIF log '{0}' is not JSON ({1}); its related locations are left without messages", path, ex.Message);
            return true;
        }

        if (log?["version"]?.GetValue<string>() is not "2.1.0")
        {
            Log.LogMessage(MessageImportance.Normal, "LockOrder: '{0}' is not SARIF 2.1 (write it with ErrorLog=path%2Cversion=2.1 to get messages on related locations)", path);
            return true;
        }

        int changed = 0;
        foreach (var run in log["runs"]?.AsArray() ?? new JsonArray())
        {
            foreach (var result in run?["results"]?.AsArray() ?? new JsonArray())
            {
                if (result is JsonObject r && Complete(r))
                {
                    changed++;
                }
            }
        }

        if (changed > 0)
        {
            File.WriteAllText(path, log.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        Log.LogMessage(MessageImportance.Low, "LockOrder: messages put on the related locations of {0} results in '{1}'", changed, path);
        return true;
    }

    /// <summary>Puts messages and ids on one result's related locations; whether anything changed.</summary>
    private static bool Complete(JsonObject result)
    {
        if (result["ruleId"]?.GetValue<string>() is not { } rule || !rule.StartsWith("LOCK", StringComparison.Ordinal)
            || result["relatedLocations"] is not JsonArray related
            || result["properties"]?["customProperties"] is not JsonObject properties)
        {
            return false;
        }

        bool changed = false;
        for (int i = 0; i < related.Count; i++)
        {
            if (related[i] is JsonObject location && location["message"] is null && properties[Prefix + i]?.GetValue<string>() is { } text)
            {
                location["id"] = i + 1;
                location["message"] = new JsonObject { ["text"] = text };
                changed = true;
            }
        }

        return changed;
    }
}
