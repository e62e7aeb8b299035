using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace BodyCam.Authorisation.Policy;

/// <summary>
/// The current policy: read from its file at start and again whenever the file changes. A changed
/// file that does not parse is refused (logged) and the last good policy stays in force.
/// </summary>
public sealed class PolicyStore : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip };
    private readonly string _path;
    private readonly ILogger<PolicyStore> _log;
    private readonly PhysicalFileProvider _files;
    private readonly IDisposable _watch;
    private ViewPolicy _current;

    public PolicyStore(IConfiguration configuration, IHostEnvironment environment, ILogger<PolicyStore> log)
    {
        _path = Path.GetFullPath(configuration["Authorisation:PolicyFile"] ?? Path.Combine(environment.ContentRootPath, "Policy", "view-policy.json"));
        _log = log;
        _current = Load(_path);
        _files = new PhysicalFileProvider(Path.GetDirectoryName(_path)!) { UsePollingFileWatcher = true, UseActivePolling = true };
        _watch = ChangeToken.OnChange(() => _files.Watch(Path.GetFileName(_path)), Reload);
        _log.LogInformation("View policy {Version} loaded from {Path}", _current.Version, _path);
    }

    public ViewPolicy Current => Volatile.Read(ref _current);

    public static ViewPolicy Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var policy = JsonSerializer.Deserialize<ViewPolicy>(bytes, Json) ?? throw new InvalidDataException($"{path} holds no policy.");
        if (policy.Purposes is null || policy.ExcludedPurposes is null || policy.MaxGrantSeconds is null || policy.MinReasonLength < 1 || policy.DefaultGrantSeconds < 1)
        {
            throw new InvalidDataException($"{path} lacks purposes, excluded purposes, grant lengths or a minimum reason length.");
        }

        return policy with { Version = Convert.ToHexStringLower(SHA256.HashData(bytes))[..12], ApprovalRequiredForCommands = policy.ApprovalRequiredForCommands ?? [] };
    }

    public void Dispose()
    {
        _watch.Dispose();
        _files.Dispose();
    }

    private void Reload()
    {
        try
        {
            var next = Load(_path);
            if (next.Version != Current.Version)
            {
                Volatile.Write(ref _current, next);
                _log.LogWarning("View policy changed: {Version} is now in force", next.Version);
            }
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
        {
            _log.LogError(e, "The changed view policy at {Path} could not be read; {Version} stays in force", _path, Current.Version);
        }
    }
}
