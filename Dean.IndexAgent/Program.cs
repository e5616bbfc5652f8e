using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Targets;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDeanDatabase(typeof(Program).Assembly);
builder.AddDeanRedis();
builder.AddWorkspaceAndEvaluation();
builder.AddOperators();
builder.AddTargets();
builder.AddAgents();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCallerApi();
app.MapTargetsApi();
app.MapAgentsApi();
app.MapAgentPauseApi();
app.Run();
