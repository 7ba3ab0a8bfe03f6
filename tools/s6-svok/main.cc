// placeholder until the tool is written
int main() { return 111; }
