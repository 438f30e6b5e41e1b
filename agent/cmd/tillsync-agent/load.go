package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// envPrefix prefixes every environment variable: TILLSYNC_API_LISTEN sets
// api.listen.
const envPrefix = "TILLSYNC"

// loadConfig reads the config file (if path is not empty), then the
// environment, then flags that were set, over DefaultConfig. Unknown keys
// in the file are an error, so a misspelt key is never silently ignored.
func loadConfig(path string, flags *pflag.FlagSet) (Config, error) {
	v := viper.New()
	def := DefaultConfig()
	for key, val := range flatten("", reflect.ValueOf(def)) {
		v.SetDefault(key, val)
	}
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("read config %s: %w", path, err)
		}
	}
	if flags != nil {
		var bindErr error
		flags.VisitAll(func(f *pflag.Flag) {
			if key, ok := f.Annotations[configKeyAnnotation]; ok && len(key) == 1 {
				bindErr = errors.Join(bindErr, v.BindPFlag(key[0], f))
			}
		})
		if bindErr != nil {
			return Config{}, fmt.Errorf("bind flags: %w", bindErr)
		}
	}
	var c Config
	if err := v.UnmarshalExact(&c, viper.DecodeHook(mapstructure.StringToTimeDurationHookFunc())); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// configKeyAnnotation marks a flag with the config key it overrides.
const configKeyAnnotation = "tillsync-config-key"

// bindFlag records that flag name overrides config key.
func bindFlag(flags *pflag.FlagSet, name, key string) {
	if err := flags.SetAnnotation(name, configKeyAnnotation, []string{key}); err != nil {
		panic(fmt.Sprintf("flag %s: %v", name, err)) // a programming error, found by any test run
	}
}

// flatten lists the dotted keys of a config struct with their values, from
// the mapstructure tags, so every key has a default and env binding.
func flatten(prefix string, v reflect.Value) map[string]any {
	out := map[string]any{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		key := t.Field(i).Tag.Get("mapstructure")
		if prefix != "" {
			key = prefix + "." + key
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			for k, val := range flatten(key, f) {
				out[k] = val
			}
			continue
		}
		out[key] = f.Interface()
	}
	return out
}
