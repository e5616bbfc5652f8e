using Dean.ServiceDefaults.Http;
using Dean.Orchestrator.Auth;
using Dean.Orchestrator.Scheduling;
using Dean.ServiceDefaults.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDeanDatabase(typeof(Program).Assembly);
builder.AddDeanRedis();
builder.AddServiceDependency("economy");
builder.AddServiceDependency("indexagent");
builder.AddOrchestratorAuth();
builder.AddDeanScheduling();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDeanScheduling();
app.MapAuthApi();
app.Run();
