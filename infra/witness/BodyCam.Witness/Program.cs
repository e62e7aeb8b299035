// An independent witness of BodyCam's audit log (C2SP tlog-witness). Meant to run under another
// organisation's control (the Police and Crime Commissioner's office, the ICO): its own key, its own
// store (a directory, nothing in the force's database), and the log's public key in its configuration.
// It cosigns a checkpoint only if it extends the last one it cosigned, so once it has cosigned, no one
// at the force can rewrite what came before without the witness refusing and raising an alarm.
//
//   dotnet BodyCam.Witness.dll [--urls http://127.0.0.1:5107]
//       Witness__Name, Witness__KeyFile, Witness__StoreDirectory, Witness__Logs__0__Key (the log's verifier key)
//   dotnet BodyCam.Witness.dll vkey --key-file F --name N --type log|witness
//       prints the verifier key of an Ed25519 key file (creating the file with a new key if missing)
using BodyCam.Audit.Tree;
using BodyCam.Witness;

if (args is ["vkey", ..])
{
    return VerifierKeyCommand.Run(args[1..]);
}

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddProblemDetails();
builder.Services.AddOptions<WitnessSettings>().BindConfiguration("Witness")
    .Validate(s => s.Logs.All(l => SignedNote.TryParseVerifierKey(l.Key, out var k) && k.Type == SignedNote.Ed25519Type), "Witness:Logs:N:Key must be a log's Ed25519 verifier key (name+id+base64).")
    .ValidateOnStart();
builder.Services.AddSingleton<WitnessState>();
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = AddCheckpoint.MaxBody);

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapPost("/add-checkpoint", AddCheckpoint.HandleAsync);
app.MapGet("/logs", (WitnessState state) => Results.Ok(state.Logs()));
app.MapGet("/alarms", (WitnessState state) => Results.Ok(state.Alarms()));
app.MapGet("/vkey", (WitnessState state) => Results.Text(state.VerifierKey + "\n"));
app.MapGet("/health", (WitnessState state) => Results.Ok(new { status = state.Alarms().Count == 0 ? "ok" : "alarm", alarms = state.Alarms().Count }));
app.Logger.LogInformation("Witness {Name} ({Key}) witnessing {Logs}", app.Services.GetRequiredService<WitnessState>().Name,
    app.Services.GetRequiredService<WitnessState>().VerifierKey, string.Join(", ", app.Services.GetRequiredService<WitnessState>().Origins));
app.Run();
return 0;
